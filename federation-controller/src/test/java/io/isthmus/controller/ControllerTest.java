package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.cli.ProxyConfigCommand;
import io.isthmus.controller.cli.ProxyStatusCommand;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The assembled controller: ADS over mTLS on its TLS port, pushes on registry and trust-bundle changes, debug endpoints and the CLI that reads them. */
class ControllerTest {
    private static final String HOST = "reviews.default.svc.cluster.local";

    @TempDir
    Path dir;
    private TestPki pki;
    private Controller controller;
    private AdsTestClient client;

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "east");
        controller = Controller.start(ControllerConfig.builder("east", "net-east", pki.cacertsDir("east"))
                .listenAddress("127.0.0.1").secureXdsPort(0).monitoringPort(0).pushDebounce(Duration.ofMillis(20))
                .sharedState(ControllerConfig.SharedState.IN_MEMORY).build());
        CertifiedKey me = pki.workload("east", "default", "productpage");
        var ssl = GrpcSslContexts.forClient()
                .trustManager(new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)))
                .keyManager(new ByteArrayInputStream(me.chainPem().getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(me.privateKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
        client = new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", controller.secureXdsPort())
                .overrideAuthority("isthmus-controller.isthmus-system.svc").sslContext(ssl).build(), node());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        controller.close();
    }

    @Test
    void registryChangesReachAConnectedProxyOverMtlsAndItsSyncStateShows() throws Exception {
        put(List.of(endpoint("10.1.0.10")));
        client.subscribe(XdsType.CLUSTER.typeUrl(), List.of());
        DiscoveryResponse cds = client.next(XdsType.CLUSTER.typeUrl(), r -> r.getResourcesCount() == 1);
        assertThat(cds.getResources(0).unpack(Cluster.class).getName()).isEqualTo("outbound|9080||" + HOST);
        client.ack(cds, List.of());
        String cluster = "outbound|9080||" + HOST;
        client.subscribe(XdsType.ENDPOINT.typeUrl(), List.of(cluster));
        DiscoveryResponse eds = client.next(XdsType.ENDPOINT.typeUrl(), r -> true);
        client.ack(eds, List.of(cluster));

        put(List.of(endpoint("10.1.0.10"), endpoint("10.1.0.11")));
        DiscoveryResponse pushed = client.next(XdsType.ENDPOINT.typeUrl(),
                r -> count(r) == 2);
        client.ack(pushed, List.of(cluster));

        await().untilAsserted(() -> assertThat(get("/debug/syncz")).contains("\"state\" : \"SYNCED\"")
                .contains("spiffe://cluster.local/ns/default/sa/productpage"));
        assertThat(get("/readyz")).contains("\"ready\":true");
        assertThat(get("/metrics")).contains("pilot_xds ").contains("pilot_xds_pushes_total");
        assertThat(get("/debug/registryz")).contains("10.1.0.11");

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ProxyStatusCommand status = new ProxyStatusCommand().printTo(new PrintStream(buf, true, StandardCharsets.UTF_8));
        new CommandLine(status).execute("--controller", "http://127.0.0.1:" + controller.monitoringPort());
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("productpage-0").contains("SYNCED");

        buf.reset();
        ProxyConfigCommand config = new ProxyConfigCommand().printTo(new PrintStream(buf, true, StandardCharsets.UTF_8));
        new CommandLine(config).execute("endpoints", "productpage-0", "--controller", "http://127.0.0.1:" + controller.monitoringPort());
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("10.1.0.11:9080").contains(cluster);
    }

    @Test
    void aRejectedIstioResourceIsReportedWithItsFieldAndReasonAtDebugConfigz() throws Exception {
        assertThat(get("/debug/configz")).contains("\"rejected\" : [ ]");
        controller.meshConfig().upsert("test", ConfigFiles.parse("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer: {simple: FASTEST}
                """, "test").get(0));
        String status = get("/debug/configz");
        assertThat(status).contains("\"kind\" : \"DestinationRule\"", "\"name\" : \"reviews\"",
                "\"field\" : \"spec.trafficPolicy.loadBalancer.simple\"", "\"rejectionsTotal\" : 1");
    }

    @Test
    void aNewRootInTheCaDirectoryReachesTheProxyAsRootca() throws Exception {
        client.subscribe(XdsType.SECRET.typeUrl(), List.of("ROOTCA"));
        DiscoveryResponse first = client.next(XdsType.SECRET.typeUrl(), r -> r.getResourcesCount() == 1);
        assertThat(roots(first)).isEqualTo(1);
        client.ack(first, List.of("ROOTCA"));

        CertifiedKey newRoot = CaFactory.createRoot(CaSpec.root());
        Path rootFile = pki.cacertsDir("east").resolve("root-cert.pem");
        Files.writeString(rootFile, Pem.encode(newRoot.certificate()), StandardOpenOption.APPEND);
        Files.setLastModifiedTime(rootFile, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));

        DiscoveryResponse rotated = client.next(XdsType.SECRET.typeUrl(), r -> roots(r) == 2);
        assertThat(rotated.getResources(0).unpack(Secret.class).getName()).isEqualTo("ROOTCA");
    }

    private static int roots(DiscoveryResponse r) {
        try {
            String pem = r.getResources(0).unpack(Secret.class).getValidationContext().getTrustedCa().getInlineString();
            return pem.split("BEGIN CERTIFICATE", -1).length - 1;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static int count(DiscoveryResponse r) {
        try {
            return r.getResources(0).unpack(ClusterLoadAssignment.class).getEndpointsList().stream()
                    .mapToInt(g -> g.getLbEndpointsCount()).sum();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void put(List<WorkloadEndpoint> eps) {
        controller.registryWriter().putService(new ClusterService("east", "default", "reviews", HOST,
                List.of(new ServicePort("http", 9080, 9080, Protocol.HTTP)), Map.of(), eps));
    }

    private static WorkloadEndpoint endpoint(String ip) {
        return new WorkloadEndpoint(ip, Map.of(), "east", "net-east", Locality.of("r", "z"), EndpointHealth.HEALTHY, "reviews",
                "reviews-" + ip, "default", Map.of());
    }

    private String get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.monitoringPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Node node() {
        return Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, Value.newBuilder().setStringValue("east").build())
                        .putFields(ProxyMetadata.NETWORK, Value.newBuilder().setStringValue("net-east").build())
                        .putFields(ProxyMetadata.NAMESPACE, Value.newBuilder().setStringValue("default").build())
                        .putFields(ProxyMetadata.SERVICE_ACCOUNT, Value.newBuilder().setStringValue("productpage").build()))
                .build();
    }
}
