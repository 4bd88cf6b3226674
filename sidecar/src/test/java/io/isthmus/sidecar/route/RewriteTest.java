package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute;
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
        Route regexRewrite = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/users/"))
                .setRoute(RouteAction.newBuilder().setCluster("app").setRegexRewrite(RegexMatchAndSubstitute.newBuilder()
                        .setPattern(RegexMatcher.newBuilder().setRegex("^/users/([^/]+)/orders/([0-9]+)$"))
                        .setSubstitution("/orders/\\2?user=\\1"))).build();
        Route plain = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("app")).build();
        dp.routes().apply(Map.of("80", Xds.routes("80",
                Xds.vhost("svc", List.of("svc"), prefix, caseless, exact, regex, host, regexRewrite, plain))), "1");
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

    @Test
    void aRegexRewriteReplacesEachMatchOfThePathWithItsGroups() {
        assertThat(pathSeen("/users/ann/orders/42?x=1")).as("the query follows the rewritten path")
                .isEqualTo("/orders/42?user=ann?x=1");
        assertThat(new RegexRewrite("^/v1/", "/v2/").apply("/v1/items")).isEqualTo("/v2/items");
        assertThat(new RegexRewrite("o", "0").apply("/foo/boo")).as("every match").isEqualTo("/f00/b00");
        assertThat(new RegexRewrite("(a)(b)?", "[\\2\\1]").apply("/ac")).as("an unmatched group is empty").isEqualTo("/[a]c");
        assertThat(new RegexRewrite("x*", "-").apply("ab")).as("empty matches, as Java's replaceAll").isEqualTo("-a-b-");
        assertThat(new RegexRewrite("\\$", "\\\\").apply("/a$")).isEqualTo("/a\\");
    }

    @Test
    void aBadRegexRewriteIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RegexRewrite("(a)", "\\2"))
                .hasMessageContaining("names group \\2, the pattern has 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RegexRewrite("a", "x\\"))
                .hasMessageContaining("lone backslash");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RegexRewrite("(", "x"))
                .isInstanceOf(java.util.regex.PatternSyntaxException.class);
    }
}
