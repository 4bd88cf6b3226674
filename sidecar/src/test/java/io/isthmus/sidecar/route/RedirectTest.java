package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.errors.InvalidResourceException;
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

/** Envoy's route {@code redirect}: the proxy answers 3xx with the location built from the request. */
class RedirectTest {

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
        Route moved = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/old/"))
                .setRedirect(RedirectAction.newBuilder().setPrefixRewrite("/new/")
                        .setResponseCode(RedirectAction.RedirectResponseCode.PERMANENT_REDIRECT))
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey("x-moved").setValue("yes")))
                .build();
        Route secure = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/login"))
                .setRedirect(RedirectAction.newBuilder().setHttpsRedirect(true).setHostRedirect("auth.example.com"))
                .build();
        Route elsewhere = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPath("/docs"))
                .setRedirect(RedirectAction.newBuilder().setPathRedirect("/manual/index.html").setPortRedirect(8443)
                        .setStripQuery(true).setResponseCode(RedirectAction.RedirectResponseCode.FOUND))
                .build();
        Route plain = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(RouteAction.newBuilder().setCluster("app")).build();
        dp.routes().apply(Map.of("80", Xds.routes("80", Xds.vhost("svc", List.of("svc", "svc:80"), moved, secure, elsewhere, plain))), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void thePrefixIsRewrittenInTheLocationWithTheQueryAndTheRoutesHeaders() {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "svc", "/old/a/b?x=1");
        assertThat(r.status()).isEqualTo(308);
        assertThat(r.header("location")).isEqualTo("http://svc/new/a/b?x=1");
        assertThat(r.header("x-moved")).isEqualTo("yes");
        assertThat(app.hits.get()).as("the app never sees a redirected request").isZero();
    }

    @Test
    void anHttpsRedirectToAnotherHostIsAPermanentMoveByDefault() {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "svc", "/login?next=/home");
        assertThat(r.status()).isEqualTo(301);
        assertThat(r.header("location")).isEqualTo("https://auth.example.com/login?next=/home");
    }

    @Test
    void aPathRedirectWithAPortAndWithoutTheQuery() {
        TestMesh.Reply r = mesh.get("127.0.0.2", port, "svc", "/docs?page=2");
        assertThat(r.status()).isEqualTo(302);
        assertThat(r.header("location")).isEqualTo("http://svc:8443/manual/index.html");
    }

    @Test
    void otherRequestsAreRouted() {
        assertThat(mesh.get("127.0.0.2", port, "svc", "/other").body()).isEqualTo("app");
    }

    @Test
    void theLocationFollowsEnvoysRules() {
        PathMatch prefix = new PathMatch(PathMatch.Kind.PREFIX, "/a", true);
        Redirect https = new Redirect("https", "", 0, "", "", false, 301);
        assertThat(https.location("http", "shop.example.com:80", "/a/b", null, prefix))
                .as("the old scheme's default port is dropped").isEqualTo("https://shop.example.com/a/b");
        assertThat(https.location("http", "shop.example.com:8080", "/a/b", null, prefix)).isEqualTo("https://shop.example.com:8080/a/b");
        assertThat(new Redirect("", "", 0, "/n?fixed=1", "", true, 301).location("http", "s", "/a", "q=1", prefix))
                .as("a query in path_redirect replaces the request's, strip_query or not").isEqualTo("http://s/n?fixed=1");
        assertThat(new Redirect("", "[::1]:80", 0, "", "", false, 301).location("http", "s", "/a", null, prefix))
                .isEqualTo("http://[::1]:80/a");
    }

    @Test
    void badRedirectsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> Redirect.of("80", "routes[0]", RedirectAction.newBuilder().setPathRedirect("relative").build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("routes[0].redirect.path_redirect");
        assertThatThrownBy(() -> Redirect.of("80", "routes[0]", RedirectAction.newBuilder().setHostRedirect("a/b").build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("routes[0].redirect.host_redirect");
        assertThatThrownBy(() -> Redirect.of("80", "routes[0]", RedirectAction.newBuilder()
                .setRegexRewrite(io.envoyproxy.envoy.type.matcher.v3.RegexMatchAndSubstitute.getDefaultInstance()).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("routes[0].redirect.regex_rewrite");
        assertThatThrownBy(() -> Redirect.of("80", "routes[0]", RedirectAction.newBuilder().setPortRedirect(70000).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("routes[0].redirect.port_redirect");
        assertThatThrownBy(() -> Redirect.of("80", "routes[0]", RedirectAction.newBuilder().setPortRedirect(-1).build()))
                .as("a uint32 past 2^31").isInstanceOf(InvalidResourceException.class)
                .hasMessageContaining("must be 0..65535, got 4294967295");
    }
}
