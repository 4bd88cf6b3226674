package io.isthmus.controller.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.Controller;
import io.isthmus.controller.ControllerConfig;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.RegistryWriter;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.testing.TestPki;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Scale: S services x E endpoints x C clusters in the registry, N simulated ADS clients on one
 * controller; reports initial sync time, full-push time (a gateway address change that alters
 * every client's EDS), heap after GC and process CPU.
 *
 * <p>Arguments: {@code services endpointsPerCluster clusters clients rounds sharedState}.
 */
public final class ControllerScaleBench {

    public static void main(String[] args) throws Exception {
        int services = arg(args, 0, 1000);
        int perCluster = arg(args, 1, 30);
        int clusters = arg(args, 2, 3);
        int clients = arg(args, 3, 1000);
        int rounds = arg(args, 4, 3);
        ControllerConfig.SharedState state = args.length > 5 ? ControllerConfig.SharedState.valueOf(args[5])
                : ControllerConfig.SharedState.HAZELCAST;
        Path dir = Files.createTempDirectory("isthmus-bench");
        TestPki pki = TestPki.create(dir.resolve("pki"), "c0");
        int hz;
        try (ServerSocket s = new ServerSocket(0)) {
            hz = s.getLocalPort();
        }
        Controller controller = Controller.start(ControllerConfig.builder("c0", "net-c0", pki.cacertsDir("c0"))
                .listenAddress("127.0.0.1").secureXdsPort(0).plaintextXdsPort(0).monitoringPort(0).hazelcastPort(hz)
                .sharedState(state).build());
        RegistryWriter w = controller.registryWriter();
        long t0 = System.nanoTime();
        for (int c = 0; c < clusters; c++) {
            String cluster = "c" + c;
            w.replaceGateways(cluster, List.of(new NetworkGateway("net-" + cluster, cluster, "10.255.0." + (c + 1), 15443)));
            for (int s = 0; s < services; s++) {
                List<WorkloadEndpoint> eps = new ArrayList<>();
                for (int e = 0; e < perCluster; e++) {
                    int n = s * perCluster + e;
                    eps.add(new WorkloadEndpoint("10." + (c + 1) + "." + (n / 250) + "." + (n % 250 + 1), Map.of("http", 8080), cluster,
                            "net-" + cluster, Locality.of("region-" + c, "zone-" + c + (e % 2 == 0 ? "a" : "b")), EndpointHealth.HEALTHY,
                            "svc-" + s, "svc-" + s + "-" + e, "default", Map.of("app", "svc-" + s)));
                }
                w.putService(new ClusterService(cluster, "default", "svc-" + s, MeshLabels.serviceHostname("svc-" + s, "default"),
                        List.of(new ServicePort("http", 8080, 8080, Protocol.HTTP)), Map.of(), eps));
            }
        }
        while (controller.registry().services().size() < services
                || controller.registry().services().stream().mapToInt(f -> f.clusters().size()).sum() < services * clusters) {
            Thread.sleep(100);
        }
        System.out.printf("registry loaded: %d services x %d endpoints x %d clusters in %d ms (%s)%n", services, perCluster, clusters,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), state);

        ConcurrentHashMap<BenchClient, String> seen = new ConcurrentHashMap<>();
        List<ManagedChannel> channels = new ArrayList<>();
        List<BenchClient> all = new ArrayList<>();
        int perChannel = 50;
        long startSync = System.nanoTime();
        long cpu0 = cpuNanos();
        for (int i = 0; i < clients; i++) {
            if (i % perChannel == 0) {
                channels.add(NettyChannelBuilder.forAddress("127.0.0.1", controller.plaintextXdsPort()).usePlaintext()
                        .maxInboundMessageSize(256 << 20).build());
            }
            BenchClient bc = new BenchClient(node(i), List.of("8080"), b -> seen.put(b, b.edsVersion));
            all.add(bc);
            bc.start(channels.get(channels.size() - 1));
        }
        while (seen.size() < clients) {
            Thread.sleep(20);
        }
        long syncMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startSync);
        long syncCpuMs = TimeUnit.NANOSECONDS.toMillis(cpuNanos() - cpu0);
        Thread.sleep(2000);
        long heap = heapAfterGc();
        System.out.printf("initial sync of %d clients: %d ms, process CPU %d ms; heap after GC %d MiB%n", clients, syncMs, syncCpuMs,
                heap >> 20);

        long[] push = new long[rounds];
        long[] pushCpu = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            Map<BenchClient, String> before = Map.copyOf(seen);
            long cpu = cpuNanos();
            long t = System.nanoTime();
            w.replaceGateways("c1", List.of(new NetworkGateway("net-c1", "c1", "10.255.1." + (r + 10), 15443)));
            while (!all.stream().allMatch(b -> !b.edsVersion.equals(before.get(b)))) {
                Thread.sleep(5);
            }
            long last = all.stream().mapToLong(b -> b.edsAt).max().orElseThrow();
            push[r] = TimeUnit.NANOSECONDS.toMillis(last - t);
            pushCpu[r] = TimeUnit.NANOSECONDS.toMillis(cpuNanos() - cpu);
            System.out.printf("full push %d: every client had the new EDS after %d ms (process CPU %d ms)%n", r + 1, push[r], pushCpu[r]);
            Thread.sleep(1000);
        }
        Arrays.sort(push);
        Arrays.sort(pushCpu);
        System.out.printf("RESULT services=%d endpoints=%d clusters=%d clients=%d sync_ms=%d push_ms_median=%d push_cpu_ms_median=%d heap_mib=%d%n",
                services, perCluster, clusters, clients, syncMs, push[rounds / 2], pushCpu[rounds / 2], heap >> 20);
        for (ManagedChannel ch : channels) {
            ch.shutdownNow();
        }
        controller.close();
        System.exit(0);
    }

    private static Node node(int i) {
        String ip = "10.1." + (i / 250) + "." + (i % 250 + 1);
        return Node.newBuilder().setId(ProxyMetadata.nodeId("sidecar", ip, "client-" + i, "default"))
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion("region-0").setZone("zone-0a"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, Value.newBuilder().setStringValue("c0").build())
                        .putFields(ProxyMetadata.NETWORK, Value.newBuilder().setStringValue("net-c0").build())
                        .putFields(ProxyMetadata.NAMESPACE, Value.newBuilder().setStringValue("default").build()))
                .build();
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static int arg(String[] a, int i, int def) {
        return a.length > i ? Integer.parseInt(a[i]) : def;
    }
}
