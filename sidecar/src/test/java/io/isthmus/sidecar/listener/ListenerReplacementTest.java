package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A listener replaced by an LDS update (rebound: here to another port, in a mesh when PeerAuthentication changes its
 * TLS) leaves the clusters its requests used working. A cluster builds its per-event-loop HTTP clients and its TCP
 * client lazily, on the first request or connection that needs them, which runs in the listener's Vert.x deployment;
 * those clients must not close with that deployment while the unchanged cluster keeps handing them out.
 */
class ListenerReplacementTest {
    private static final String CLUSTER = "outbound|80||known.default.svc.cluster.local";
    private static final String HOST = "known.default.svc.cluster.local";

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        AppServer app = mesh.app("known");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of(CLUSTER, Xds.staticCluster(CLUSTER, "127.0.0.1", app.port)), "1");
        dp.routes().apply(Map.of("80", Xds.routes("80",
                Xds.vhost("known", List.of(HOST), Xds.prefixRoute("/", CLUSTER)))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    /** Ten calls at once, so that both event loops of the data plane serve some (each builds its own client). */
    private List<Integer> calls(int port) {
        return TestMesh.parallel(10, () -> mesh.get("127.0.0.2", port, HOST, "/").status());
    }

    /**
     * Listener generations on fresh ports: each binds one server per data-plane event loop, on Vert.x loops taken in
     * turn from the (larger) Vert.x pool, so from the third generation on the servers run on loops whose clients an
     * earlier, closed generation built.
     */
    private static final int GENERATIONS = 4;

    @Test
    void anHttpListenerRebuiltAgainAndAgainStillReachesTheClusterItsPredecessorsUsed() {
        for (int g = 1; g <= GENERATIONS; g++) {
            int port = TestMesh.freePort();
            dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "v" + g);
            assertThat(calls(port)).as("generation %d: the cluster's clients outlive the listeners that built them", g)
                    .containsOnly(200);
        }
    }

    @Test
    void aTcpListenerRebuiltAgainAndAgainStillReachesTheClusterItsPredecessorsUsed() {
        for (int g = 1; g <= GENERATIONS; g++) {
            int port = TestMesh.freePort();
            dp.listeners().apply(Map.of("tcp", tcp(port)), "v" + g);
            assertThat(calls(port)).as("generation %d: the cluster's TCP client outlives the listener that built it", g)
                    .containsOnly(200);
        }
    }

    private static Listener tcp(int port) {
        return Xds.tcpListener("tcp", "127.0.0.2", port, CLUSTER);
    }
}
