package io.isthmus.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.RegistryChange;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two embedded members share one registry: writes on one are read on the other, merged by hostname. */
class HazelcastRegistryTest {

    private static HazelcastInstance a;
    private static HazelcastInstance b;
    private static HazelcastRegistry ra;
    private static HazelcastRegistry rb;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @BeforeAll
    static void start() throws IOException {
        int pa = freePort();
        int pb = freePort();
        a = HazelcastMember.start(new HazelcastOptions("reg-test", "127.0.0.1", pa, List.of("127.0.0.1:" + pb)));
        b = HazelcastMember.start(new HazelcastOptions("reg-test", "127.0.0.1", pb, List.of("127.0.0.1:" + pa)));
        await().until(() -> a.getCluster().getMembers().size() == 2);
        ra = new HazelcastRegistry(a).start();
        rb = new HazelcastRegistry(b).start();
    }

    @AfterAll
    static void stop() {
        ra.close();
        rb.close();
        a.shutdown();
        b.shutdown();
    }

    static ClusterService reviews(String cluster, String network, String... ips) {
        List<WorkloadEndpoint> eps = java.util.Arrays.stream(ips).map(ip -> new WorkloadEndpoint(ip, Map.of("http", 9080),
                cluster, network, new Locality("r", "z", ""), EndpointHealth.HEALTHY, "reviews", "pod-" + ip, "default",
                Map.of("app", "reviews"))).toList();
        return new ClusterService(cluster, "default", "reviews", "reviews.default.svc.cluster.local",
                List.of(new ServicePort("http", 9080, 9080, Protocol.HTTP)), Map.of(), eps);
    }

    @Test
    void writesOnOneMemberAreMergedAndSeenOnTheOther() {
        List<RegistryChange> changes = new CopyOnWriteArrayList<>();
        rb.addListener(changes::add);
        ra.putService(reviews("east", "net-east", "10.1.0.11", "10.1.0.12"));
        rb.putService(reviews("west", "net-west", "10.2.0.11"));
        await().until(() -> rb.service("reviews.default.svc.cluster.local").map(s -> s.endpoints().size() == 3).orElse(false));
        await().until(() -> ra.service("reviews.default.svc.cluster.local").map(s -> s.endpoints().size() == 3).orElse(false));
        assertThat(changes).anySatisfy(c -> assertThat(c.hostnames()).contains("reviews.default.svc.cluster.local"));
        assertThat(rb.service("reviews.default.svc.cluster.local").orElseThrow().clusters()).containsOnlyKeys("east", "west");
        assertThat(rb.workload("east", "default", "10.1.0.12")).isPresent();

        ra.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        ra.putStatus(ClusterStatus.of("west", ClusterStatus.State.SYNCED, "", Instant.now()));
        await().until(() -> rb.gateways("net-west").size() == 1 && rb.clusters().size() == 1);
        assertThat(rb.clusters().get(0).endpoints()).isEqualTo(1);

        ra.markStale("west");
        await().until(() -> rb.service("reviews.default.svc.cluster.local").orElseThrow().clusters().get("west")
                .endpoints().get(0).health() == EndpointHealth.STALE);

        rb.removeCluster("west");
        await().until(() -> ra.service("reviews.default.svc.cluster.local").orElseThrow().clusters().keySet()
                .equals(Set.of("east")) && ra.gateways().isEmpty() && ra.clusters().isEmpty());

        ra.replaceCluster("east", List.of());
        await().until(() -> rb.service("reviews.default.svc.cluster.local").isEmpty());
    }

    @Test
    void codecRoundTripsAndIsDeterministic() {
        ClusterService cs = reviews("east", "net-east", "10.1.0.11", "10.1.0.12");
        byte[] one = RegistryCodec.encodeServices(Map.of("east", cs));
        assertThat(RegistryCodec.decodeServices(one)).containsEntry("east", cs);
        assertThat(RegistryCodec.encodeServices(new java.util.HashMap<>(Map.of("east", cs)))).isEqualTo(one);
        ClusterService withVips = cs.withVips(List.of("10.96.1.10", "fd00:96::10"));
        assertThat(RegistryCodec.decodeServices(RegistryCodec.encodeServices(Map.of("east", withVips))))
                .containsEntry("east", withVips);
        // an entry of format version 1 (no VIPs) is still read
        byte[] v2 = RegistryCodec.encodeServices(Map.of("east", cs));
        byte[] v1 = java.util.Arrays.copyOf(v2, v2.length - 4);
        v1[0] = 1;
        assertThat(RegistryCodec.decodeServices(v1)).containsEntry("east", cs);
        ClusterStatus st = new ClusterStatus("west", ClusterStatus.State.ERRORED, "HTTP 401", Instant.now(), 3, 7);
        assertThat(RegistryCodec.decodeStatus(RegistryCodec.encodeStatus(st))).isEqualTo(st);
    }
}
