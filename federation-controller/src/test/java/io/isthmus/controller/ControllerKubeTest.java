package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.testing.TestPki;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scene from the controller's side, against two real API servers (fabric8 mock, CRUD mode) and
 * a Hazelcast member: east's proxy sees east's reviews pods by locality; west joins by remote secret
 * and appears as its east-west gateway weighted by its pods; when east's pods go, only the gateway
 * is left, at priority 0; when west's secret is deleted, west is gone.
 */
class ControllerKubeTest {
    private static final String HOST = "reviews.default.svc.cluster.local";
    private static final String CLUSTER = "outbound|9080||" + HOST;

    @TempDir
    Path dir;
    private MockApiServer east;
    private MockApiServer west;
    private Controller controller;
    private AdsTestClient client;
    private DiscoveryResponse last;

    @BeforeEach
    void start() throws Exception {
        east = new MockApiServer();
        west = new MockApiServer();
        seed(east, "us-east", "net-east", "10.1.0");
        seed(west, "us-west", "net-west", "10.2.0");
        west.client().namespaces().resource(KubeObjects.namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
        west.client().services().resource(KubeObjects.gatewayService("net-west", "10.255.0.2")).create();
        east.client().namespaces().resource(KubeObjects.namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();

        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        Path kubeconfig = dir.resolve("east.kubeconfig");
        Files.writeString(kubeconfig, east.kubeconfig("east", "t"));
        int hz;
        try (ServerSocket s = new ServerSocket(0)) {
            hz = s.getLocalPort();
        }
        controller = Controller.start(ControllerConfig.builder("east", "net-east", pki.cacertsDir("east"))
                .kubeconfig(kubeconfig).listenAddress("127.0.0.1").secureXdsPort(0).plaintextXdsPort(0).monitoringPort(0)
                .hazelcastPort(hz).pushDebounce(Duration.ofMillis(50)).build());
        controller.ready().get(30, java.util.concurrent.TimeUnit.SECONDS); // proxies are refused until then
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default"))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion("us-east").setZone("us-east-a"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, str("east"))
                        .putFields(ProxyMetadata.NETWORK, str("net-east"))
                        .putFields(ProxyMetadata.NAMESPACE, str("default")))
                .build();
        client = new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", controller.plaintextXdsPort()).usePlaintext().build(), node);
        client.subscribe(XdsType.ENDPOINT.typeUrl(), List.of(CLUSTER));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        controller.close();
        east.close();
        west.close();
    }

    @Test
    void localityThenRemoteSecretThenFailoverThenLeave() throws Exception {
        Map<String, Integer> view = await(v -> v.size() == 2);
        assertThat(view).containsEntry("10.1.0.11:9080@0", 1).containsEntry("10.1.0.12:9080@1", 1);

        east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .resource(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), MeshLabels.SYSTEM_NAMESPACE)).create();
        view = await(v -> v.containsKey("10.255.0.2:15443@2"));
        assertThat(view).containsEntry("10.255.0.2:15443@2", 2).hasSize(3);

        // every reviews pod of east stops being ready: only west's gateway is left, now the nearest
        east.client().discovery().v1().endpointSlices().resource(KubeObjects.slice("default", "reviews", "reviews-abc", 9080, false,
                Map.of("reviews-1", "10.1.0.11", "reviews-2", "10.1.0.12"))).update();
        view = await(v -> v.size() == 1);
        assertThat(view).containsOnlyKeys("10.255.0.2:15443@0");

        east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(RemoteSecrets.NAME_PREFIX + "west").delete();
        await(Map::isEmpty);
    }

    /** Waits for an EDS response whose {@code address:port@priority → weight} view satisfies {@code p}; ACKs all. */
    private Map<String, Integer> await(java.util.function.Predicate<Map<String, Integer>> p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, Integer> v = last == null ? null : view(last);
        if (v != null && p.test(v)) {
            return v;
        }
        while (System.nanoTime() < deadline) {
            last = client.next(XdsType.ENDPOINT.typeUrl(), r -> true);
            client.ack(last, List.of(CLUSTER));
            v = view(last);
            if (p.test(v)) {
                return v;
            }
        }
        throw new AssertionError("no EDS view matched; last: " + v);
    }

    private static Map<String, Integer> view(DiscoveryResponse r) throws Exception {
        Map<String, Integer> m = new TreeMap<>();
        if (r.getResourcesCount() == 0) {
            return m; // the cluster is gone altogether
        }
        ClusterLoadAssignment cla = r.getResources(0).unpack(ClusterLoadAssignment.class);
        for (LocalityLbEndpoints g : cla.getEndpointsList()) {
            for (var e : g.getLbEndpointsList()) {
                var sa = e.getEndpoint().getAddress().getSocketAddress();
                m.put(sa.getAddress() + ":" + sa.getPortValue() + "@" + g.getPriority(), e.getLoadBalancingWeight().getValue());
            }
        }
        return m;
    }

    private static void seed(MockApiServer api, String region, String network, String ipPrefix) {
        var c = api.client();
        c.nodes().resource(KubeObjects.node("node-a", region, region + "-a")).create();
        c.nodes().resource(KubeObjects.node("node-b", region, region + "-b")).create();
        c.namespaces().resource(KubeObjects.namespace("default", Map.of(MeshLabels.NETWORK, network))).create();
        c.pods().resource(KubeObjects.pod("default", "reviews-1", ipPrefix + ".11", "node-a", "reviews",
                Map.of("app", "reviews", "version", "v1"))).create();
        c.pods().resource(KubeObjects.pod("default", "reviews-2", ipPrefix + ".12", "node-b", "reviews",
                Map.of("app", "reviews", "version", "v2"))).create();
        c.services().resource(KubeObjects.service("default", "reviews", 9080, 9080)).create();
        c.discovery().v1().endpointSlices().resource(KubeObjects.slice("default", "reviews", "reviews-abc", 9080, true,
                Map.of("reviews-1", ipPrefix + ".11", "reviews-2", ipPrefix + ".12"))).create();
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
