package io.isthmus.sidecar.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's priority semantics end to end: zone-local endpoints (priority 0) take the traffic while
 * healthy; when they die, the mesh retry policy and outlier detection move every request to the
 * next priority (the remote gateway) without a failed request; when they come back, traffic returns.
 */
class LocalityFailoverTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer local1;
    AppServer local2;
    AppServer remote;
    Outbound out;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        local1 = mesh.app("local1");
        local2 = mesh.app("local2");
        remote = mesh.app("remote");
        out = Outbound.create(mesh, Outbound.cluster(Xds.outlier(3, 300, 100).toBuilder()
                        .setMaxEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build()),
                RouteAction.newBuilder().setRetryPolicy(Xds.meshRetry()));
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", local1.port, 1), Xds.lbEndpoint("127.0.0.1", local2.port, 1)),
                Xds.group("z2", 1, Xds.lbEndpoint("127.0.0.1", remote.port, 3))));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private Map<String, Integer> send(int n, int parallel) {
        Map<String, Integer> byServer = new HashMap<>();
        for (int i = 0; i < n; i += parallel) {
            for (TestMesh.Reply r : TestMesh.parallel(Math.min(parallel, n - i), () -> out.get(mesh, "/r"))) {
                String key = r.status() == 200 ? r.body() : "status-" + r.status() + "-" + r.header("x-isthmus-response-flags");
                byServer.merge(key, 1, Integer::sum);
            }
        }
        return byServer;
    }

    @Test
    void healthyLocalEndpointsKeepTheTraffic() {
        Map<String, Integer> seen = send(200, 8);

        int local = seen.getOrDefault("local1", 0) + seen.getOrDefault("local2", 0);
        assertThat(local).isGreaterThanOrEqualTo(198);
        assertThat(seen.keySet()).allMatch(k -> !k.startsWith("status-"));
    }

    @Test
    void deadLocalEndpointsFailOverToTheNextPriorityWithoutLosingRequests() {
        send(20, 4);
        local1.stop();
        local2.stop();

        Map<String, Integer> seen = send(120, 8);

        assertThat(seen).containsOnlyKeys("remote");
        assertThat(remote.hits.get()).isGreaterThanOrEqualTo(120);
    }

    @Test
    void trafficReturnsWhenLocalEndpointsRecover() {
        local1.stop();
        local2.stop();
        assertThat(send(50, 5)).containsOnlyKeys("remote");

        AppServer back1 = mesh.appOn("local1", local1.port);
        AppServer back2 = mesh.appOn("local2", local2.port);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, Integer> seen = send(40, 4);
            assertThat(seen.getOrDefault("local1", 0) + seen.getOrDefault("local2", 0)).isGreaterThanOrEqualTo(39);
        });
        assertThat(back1.hits.get() + back2.hits.get()).isPositive();
    }
}
