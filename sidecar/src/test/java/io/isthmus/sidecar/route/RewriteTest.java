package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
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
 * Envoy's {@code prefix_rewrite} and {@code host_rewrite_literal}, through a real proxy to a real server: the
 * matched prefix is replaced, an exact or regex match's whole path is replaced, the query is kept.
 */
class RewriteTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    AppServer app;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("app");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of("app", Xds.staticCluster("app", "127.0.0.1", app.port)), "1");
        port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");
        Route prefix = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/api/v1/"))
                .setRoute(RouteAction.newBuilder().setCluster("app").setPrefixRewrite("/v2/")).build();
        Route caseless = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/legacy")
                        .setCaseSensitive(BoolValue.of(false)))
                .setRoute(RouteAction.newBuilder().setCluster("app").setPrefixRewrite("/modern")).build();
        Route exact = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPath("/health"))
                .setRoute(RouteAction.newBuilder().setCluster("app").setPrefixRewrite("/internal/healthz")).build();
        Route regex = Route.newBuilder().setMatch(RouteMatch.newBuilder()
                        .setSafeRegex(RegexMatcher.newBuilder().setRegex("/catalog[0-9]+")))
                .setRoute(RouteAction.newBuilder().setCluster("app").setPrefixRewrite("/catalog")).build();
        Route host = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/host"))
                .setRoute(RouteAction.newBuilder().setCluster("app").setHostRewriteLiteral("backend.internal:8080")).build();
        Route plain = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("app")).build();
        dp.routes().apply(Map.of("80", Xds.routes("80",
                Xds.vhost("svc", List.of("svc"), prefix, caseless, exact, regex, host, plain))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private String pathSeen(String path) {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "svc", path);
        assertThat(r.status()).isEqualTo(200);
        return app.lastUri.get();
    }

    @Test
    void aPrefixMatchHasItsPrefixReplacedAndKeepsTheRestAndTheQuery() {
        assertThat(pathSeen("/api/v1/users/7?full=1")).isEqualTo("/v2/users/7?full=1");
    }

    @Test
    void aCaseInsensitivePrefixIsReplacedWhateverItsCase() {
        assertThat(pathSeen("/LEGACY/a")).isEqualTo("/modern/a");
    }

    @Test
    void anExactMatchHasItsWholePathReplacedAndKeepsTheQuery() {
        assertThat(pathSeen("/health?verbose")).isEqualTo("/internal/healthz?verbose");
    }

    @Test
    void aRegexMatchHasItsWholePathReplaced() {
        assertThat(pathSeen("/catalog42")).isEqualTo("/catalog");
    }

    @Test
    void theAuthorityIsRewrittenAndOtherRoutesKeepTheirs() {
        pathSeen("/host/x");
        assertThat(app.lastHeaders.get().get("host")).isEqualTo("backend.internal:8080");
        assertThat(pathSeen("/other")).isEqualTo("/other");
        assertThat(app.lastHeaders.get().get("host")).isEqualTo("svc");
    }
}
