package io.isthmus.sidecar.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federation scene in miniature, with real mTLS: an app's sidecar calls {@code reviews} whose
 * zone-local pods (priority 0, each a sidecar with its app) die under load, one after the other,
 * closing their connections; requests move to the next priority (standing in for the remote
 * network's east-west gateway and pod) and none fails.
 */
class SceneFailoverTest {

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private record Pod(DataPlane sidecar, AppServer app, String ip, int port) {
    }

    private Pod pod(String cluster, String name, String ip) {
        AppServer app = mesh.app(name);
        int port = TestMesh.freePort();
        DataPlane dp = mesh.dataPlane(mesh.workload(cluster, "default", "reviews"));
        String c = "inbound|" + app.port + "||";
        dp.clusters().apply(Map.of(c, Xds.staticCluster(c, "127.0.0.1", app.port)), "1");
        dp.listeners().apply(Map.of("inbound", Xds.inboundHttp("inbound", ip, port, c, true, List.of())), "1");
        return new Pod(dp, app, ip, port);
    }

    @Test
    void everyLocalPodDiesUnderLoadAndNoRequestIsLost() throws Exception {
        Pod east1 = pod("east", "east-1", "127.0.0.3");
        Pod east2 = pod("east", "east-2", "127.0.0.4");
        Pod west = pod("west", "west-1", "127.0.0.5");
        DataPlane client = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        var svc = Outbound.SERVICE;
        OutlierDetection meshDefault = OutlierDetection.newBuilder().setConsecutive5Xx(UInt32Value.of(5))
                .setConsecutiveGatewayFailure(UInt32Value.of(3)).setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
                .setInterval(com.google.protobuf.Duration.newBuilder().setSeconds(2))
                .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(15))
                .setMaxEjectionPercent(UInt32Value.of(100)).build();
        Cluster cluster = Xds.edsCluster(svc.clusterName(), svc.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"))
                .toBuilder().setOutlierDetection(meshDefault).build();
        client.clusters().apply(Map.of(svc.clusterName(), cluster), "1");
        client.endpoints().apply(Map.of(svc.clusterName(), Xds.cla(svc.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint(east1.ip(), east1.port(), 1), Xds.lbEndpoint(east2.ip(), east2.port(), 1)),
                Xds.group("z9", 1, Xds.lbEndpoint(west.ip(), west.port(), 1)))), "1");
        int port = TestMesh.freePort();
        client.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "9080")), "1");
        Route route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster(svc.clusterName()).setRetryPolicy(Xds.meshRetry())).build();
        client.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of(svc.host(), Outbound.AUTHORITY), route))), "1");

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failed = new AtomicInteger();
        Map<String, AtomicInteger> servedBy = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<?>> workers = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            workers.add(pool.submit(() -> {
                while (running.get()) {
                    TestMesh.Reply r = mesh.get("127.0.0.2", port, Outbound.AUTHORITY, "/reviews/1");
                    if (r.status() == 200) {
                        servedBy.computeIfAbsent(r.body(), k -> new AtomicInteger()).incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> count(servedBy, "east-1") + count(servedBy, "east-2") >= 100);
        assertThat(count(servedBy, "west-1")).as("priority 1 idle while priority 0 is healthy").isZero();

        east1.sidecar().close();
        east1.app().stop();
        int westBefore = count(servedBy, "west-1");
        east2.sidecar().close();
        east2.app().stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> count(servedBy, "west-1") >= westBefore + 200);
        running.set(false);
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();

        assertThat(failed.get()).isZero();
    }

    private static int count(Map<String, AtomicInteger> m, String k) {
        AtomicInteger v = m.get(k);
        return v == null ? 0 : v.get();
    }
}
