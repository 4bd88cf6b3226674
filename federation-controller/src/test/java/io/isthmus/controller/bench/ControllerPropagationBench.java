package io.isthmus.controller.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.Controller;
import io.isthmus.controller.ControllerConfig;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.testing.TestPki;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Endpoint propagation latency: from an EndpointSlice update on a remote cluster's API server (west)
 * to the ACK of a proxy connected to another cluster's controller (east), which joined west by
 * remote secret. Each change sets how many of west's K pods are ready; east's proxy sees that count
 * as the weight of west's gateway endpoint. Changes are issued on a fixed schedule whether or not
 * the previous one arrived; a change counts as arrived when the proxy ACKs a state that is it or a
 * later one.
 *
 * <p>Arguments: {@code changes ratePerSecond debounceMillis [HAZELCAST|IN_MEMORY]}.
 */
public final class ControllerPropagationBench {
    private static final String HOST = "reviews.default.svc.cluster.local";
    private static final String CLUSTER = "outbound|9080||" + HOST;
    private static final int PODS = 20;

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int debounce = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        ControllerConfig.SharedState state = args.length > 3 ? ControllerConfig.SharedState.valueOf(args[3])
                : ControllerConfig.SharedState.HAZELCAST;
        MockApiServer east = new MockApiServer();
        MockApiServer west = new MockApiServer();
        seed(east, "us-east", "net-east", "10.1.0", 2);
        seed(west, "us-west", "net-west", "10.2.0", PODS);
        west.client().namespaces().resource(KubeObjects.namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
        west.client().services().resource(KubeObjects.gatewayService("net-west", "10.255.0.2")).create();
        east.client().namespaces().resource(KubeObjects.namespace(MeshLabels.SYSTEM_NAMESPACE, Map.of())).create();
        Path dir = Files.createTempDirectory("isthmus-bench");
        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        Path kubeconfig = dir.resolve("east.kubeconfig");
        Files.writeString(kubeconfig, east.kubeconfig("east", "t"));
        int hz;
        try (ServerSocket s = new ServerSocket(0)) {
            hz = s.getLocalPort();
        }
        Controller controller = Controller.start(ControllerConfig.builder("east", "net-east", pki.cacertsDir("east"))
                .kubeconfig(kubeconfig).listenAddress("127.0.0.1").secureXdsPort(0).plaintextXdsPort(0).monitoringPort(0)
                .hazelcastPort(hz).pushDebounce(Duration.ofMillis(debounce)).sharedState(state).build());
        controller.ready().get(30, java.util.concurrent.TimeUnit.SECONDS); // proxies are refused until then
        east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .resource(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), MeshLabels.SYSTEM_NAMESPACE)).create();

        Observer obs = new Observer();
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", controller.plaintextXdsPort()).usePlaintext().build();
        obs.out = AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(obs);
        obs.out.onNext(DiscoveryRequest.newBuilder().setNode(node()).setTypeUrl(XdsType.ENDPOINT.typeUrl()).addResourceNames(CLUSTER).build());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (obs.weight != PODS && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        if (obs.weight != PODS) {
            throw new IllegalStateException("west never showed up with " + PODS + " ready pods (weight " + obs.weight + ")");
        }
        System.out.printf("west joined; issuing %d changes at %d/s (debounce %d ms)%n", changes, rate, debounce);

        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        for (int i = 0; i < changes; i++) {
            long due = start + i * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            int ready = 1 + (i % (PODS - 1));
            if (ready == obs.weight) {
                ready = PODS;
            }
            obs.issue(i, ready, System.nanoTime());
            west.client().discovery().v1().endpointSlices().resource(slice(ready)).update();
        }
        long drain = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (obs.pending() > 0 && System.nanoTime() < drain) {
            Thread.sleep(20);
        }
        List<Long> lat = obs.latenciesMillis();
        lat.sort(Long::compare);
        int lost = changes - lat.size();
        System.out.printf("RESULT changes=%d rate=%d debounce_ms=%d state=%s arrived=%d p50_ms=%d p90_ms=%d p99_ms=%d max_ms=%d%n",
                changes, rate, debounce, state, lat.size(), pct(lat, 50), pct(lat, 90), pct(lat, 99), lat.isEmpty() ? -1 : lat.get(lat.size() - 1));
        if (lost > 0) {
            System.out.println("changes never seen: " + lost);
        }
        ch.shutdownNow();
        controller.close();
        east.close();
        west.close();
        System.exit(0);
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** The proxy: ACKs every EDS response and resolves pending changes against the state it shows. */
    private static final class Observer implements StreamObserver<DiscoveryResponse> {
        StreamObserver<DiscoveryRequest> out;
        volatile int weight = -1;
        private final LinkedHashMap<Integer, long[]> issued = new LinkedHashMap<>();
        private final List<Long> done = new ArrayList<>();

        synchronized void issue(int i, int ready, long at) {
            issued.put(i, new long[] {ready, at});
        }

        synchronized int pending() {
            return issued.size();
        }

        synchronized List<Long> latenciesMillis() {
            return new ArrayList<>(done);
        }

        @Override
        public void onNext(DiscoveryResponse r) {
            int w = 0;
            try {
                ClusterLoadAssignment cla = r.getResources(0).unpack(ClusterLoadAssignment.class);
                for (var g : cla.getEndpointsList()) {
                    for (var e : g.getLbEndpointsList()) {
                        if (e.getEndpoint().getAddress().getSocketAddress().getAddress().equals("10.255.0.2")) {
                            w = e.getLoadBalancingWeight().getValue();
                        }
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            synchronized (this) {
                out.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                        .setResponseNonce(r.getNonce()).addResourceNames(CLUSTER).build());
                long now = System.nanoTime();
                weight = w;
                int match = -1;
                for (Map.Entry<Integer, long[]> e : issued.entrySet()) {
                    if (e.getValue()[0] == w) {
                        match = e.getKey();
                    }
                }
                if (match >= 0) {
                    var it = issued.entrySet().iterator();
                    while (it.hasNext()) {
                        var e = it.next();
                        if (e.getKey() > match) {
                            break;
                        }
                        done.add(TimeUnit.NANOSECONDS.toMillis(now - e.getValue()[1]));
                        it.remove();
                    }
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            System.err.println("stream error: " + t);
        }

        @Override
        public void onCompleted() {
        }
    }

    private static io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice slice(int ready) {
        var s = KubeObjects.slice("default", "reviews", "reviews-abc", 9080, true, pods("10.2.0", PODS));
        for (int i = 0; i < s.getEndpoints().size(); i++) {
            int podIndex = Integer.parseInt(s.getEndpoints().get(i).getTargetRef().getName().substring("reviews-".length()));
            s.getEndpoints().get(i).getConditions().setReady(podIndex <= ready);
        }
        return s;
    }

    private static Map<String, String> pods(String prefix, int n) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 1; i <= n; i++) {
            m.put("reviews-" + i, prefix + "." + (10 + i));
        }
        return m;
    }

    private static void seed(MockApiServer api, String region, String network, String prefix, int n) {
        var c = api.client();
        c.nodes().resource(KubeObjects.node("node-a", region, region + "-a")).create();
        c.namespaces().resource(KubeObjects.namespace("default", Map.of(MeshLabels.NETWORK, network))).create();
        for (int i = 1; i <= n; i++) {
            c.pods().resource(KubeObjects.pod("default", "reviews-" + i, prefix + "." + (10 + i), "node-a", "reviews",
                    Map.of("app", "reviews"))).create();
        }
        c.services().resource(KubeObjects.service("default", "reviews", 9080, 9080)).create();
        c.discovery().v1().endpointSlices().resource(KubeObjects.slice("default", "reviews", "reviews-abc", 9080, true, pods(prefix, n)))
                .create();
    }

    private static Node node() {
        return Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", "10.1.0.5", "productpage-0", "default"))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion("us-east").setZone("us-east-a"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, Value.newBuilder().setStringValue("east").build())
                        .putFields(ProxyMetadata.NETWORK, Value.newBuilder().setStringValue("net-east").build())
                        .putFields(ProxyMetadata.NAMESPACE, Value.newBuilder().setStringValue("default").build()))
                .build();
    }
}
