package io.isthmus.controller.federation;

import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.KubernetesClients;
import io.isthmus.controller.discovery.KubernetesClusterDiscovery;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.RegistryWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Not a test (surefire does not pick it up): measures discovery at scale against one mock API server
 * (initial sync time, heap, slice-update-to-listener latency) for the in-memory and the Hazelcast
 * registry. Run: {@code mvn -o -pl federation-controller test -Dtest=RegistryScaleProbe
 * -Dsurefire.failIfNoSpecifiedTests=false -Dprobe.services=1000 -Dprobe.endpoints=30}; lines start with PROBE.
 */
class RegistryScaleProbe {
    static final int SERVICES = Integer.getInteger("probe.services", 1000);
    static final int EPS = Integer.getInteger("probe.endpoints", 30);

    @Test
    void probe() throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesClient c = api.client();
            c.namespaces().resource(KubeObjects.namespace("default", Map.of())).create();
            long t0 = System.nanoTime();
            for (int s = 0; s < SERVICES; s++) {
                c.services().resource(KubeObjects.service("default", "svc" + s, 9080, 9080)).create();
                Map<String, String> pods = new LinkedHashMap<>();
                for (int e = 0; e < EPS; e++) {
                    pods.put("p" + s + "-" + e, "10." + (s / 250) + "." + (s % 250) + "." + (e + 1));
                }
                c.discovery().v1().endpointSlices().resource(KubeObjects.slice("default", "svc" + s, "svc" + s + "-x", 9080, true, pods)).create();
            }
            System.out.printf("PROBE seeded %d services x %d endpoints in %d ms%n", SERVICES, EPS, (System.nanoTime() - t0) / 1_000_000);
            for (String mode : List.of(System.getProperty("probe.modes", "memory,hazelcast").split(","))) {
                HazelcastInstance hz = null;
                FederatedRegistry reg;
                RegistryWriter w;
                if (mode.equals("memory")) {
                    InMemoryRegistry m = new InMemoryRegistry();
                    reg = m;
                    w = m;
                } else {
                    hz = HazelcastMember.start(HazelcastOptions.standalone("probe", 15701));
                    HazelcastRegistry h = new HazelcastRegistry(hz).start();
                    reg = h;
                    w = h;
                }
                Map<String, Long> seen = new ConcurrentHashMap<>();
                reg.addListener(ch -> ch.hostnames().forEach(hn -> seen.put(hn, System.nanoTime())));
                System.gc();
                long heap0 = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                KubernetesClient client = KubernetesClients.fromKubeconfig(api.kubeconfig("c", "t"), Duration.ofSeconds(30));
                long t1 = System.nanoTime();
                KubernetesClusterDiscovery d = new KubernetesClusterDiscovery(KubernetesClusterDiscovery.Options.of("c", "n"), client, w, Clock.systemUTC()).start();
                await().atMost(Duration.ofMinutes(5)).until(() -> reg.services().size() == SERVICES
                        && !reg.clusters().isEmpty() && reg.clusters().get(0).state() == io.isthmus.controller.registry.ClusterStatus.State.SYNCED);
                System.out.printf("PROBE [%s] endpoints in registry %d%n", mode, reg.services().stream().mapToInt(f -> f.endpoints().size()).sum());
                long syncMs = (System.nanoTime() - t1) / 1_000_000;
                System.gc();
                long heap1 = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                System.out.printf("PROBE [%s] initial sync %d ms, heap delta %d MiB%n", mode, syncMs, (heap1 - heap0) >> 20);
                long[] lat = new long[100];
                for (int i = 0; i < lat.length; i++) {
                    int s = (i * 7) % SERVICES;
                    String host = "svc" + s + ".default.svc.cluster.local";
                    Map<String, String> pods = new LinkedHashMap<>();
                    for (int e = 0; e < EPS - 1 - (i % 2); e++) {
                        pods.put("p" + s + "-" + e, "10." + (s / 250) + "." + (s % 250) + "." + (e + 1));
                    }
                    int want = pods.size();
                    seen.remove(host);
                    long start = System.nanoTime();
                    c.discovery().v1().endpointSlices().resource(KubeObjects.slice("default", "svc" + s, "svc" + s + "-x", 9080, true, pods)).update();
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> seen.containsKey(host)
                            && reg.service(host).map(FederatedService::endpoints).map(List::size).orElse(0) == want);
                    lat[i] = (seen.get(host) - start) / 1_000;
                }
                Arrays.sort(lat);
                System.out.printf("PROBE [%s] slice update -> registry listener: p50 %d us, p99 %d us (incl. mock API server)%n",
                        mode, lat[49], lat[98]);
                d.close();
                client.close();
                if (hz != null) {
                    ((HazelcastRegistry) reg).close();
                    hz.shutdown();
                }
            }
        }
    }
}
