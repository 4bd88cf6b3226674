package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.FaultAbort;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's CORS filter through a real proxy: preflights answered or forwarded, the headers of an allowed origin's
 * responses (the upstream's and the proxy's own), the most specific policy's fields first, the filter's place
 * relative to fault injection, and nothing at all without the filter in the chain.
 */
class CorsTest {

    private static final String SHOP = "https://shop.example.com";

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    AppServer app;
    /** CORS, fault, router. */
    int port;
    /** Fault, CORS, router. */
    int faultFirstPort;
    /** Fault, router: no CORS filter. */
    int noCorsPort;

    static HttpFilter filter(String name, com.google.protobuf.Message config) {
        return HttpFilter.newBuilder().setName(name).setTypedConfig(Xds.any(config)).build();
    }

    static final HttpFilter CORS = filter("envoy.filters.http.cors", Cors.getDefaultInstance());
    static final HttpFilter FAULT = filter("envoy.filters.http.fault", HTTPFault.getDefaultInstance());

    static Listener listener(String name, int port, HttpFilter... filters) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix(name)
                .setRds(Rds.newBuilder().setRouteConfigName("80").setConfigSource(Xds.ads()));
        for (HttpFilter f : filters) {
            hcm.addHttpFilters(f);
        }
        hcm.addHttpFilters(Xds.router());
        return Listener.newBuilder().setName(name).setAddress(Xds.address("127.0.0.2", port))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Xds.any(hcm.build()))))
                .build();
    }

    static StringMatcher exact(String s) {
        return StringMatcher.newBuilder().setExact(s).build();
    }

    static Route route(String prefix, CorsPolicy cors) {
        Route.Builder r = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix(prefix))
                .setRoute(RouteAction.newBuilder().setCluster("app"));
        if (cors != null) {
            r.putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(cors));
        }
        return r.build();
    }

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        app = mesh.app("app");
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        dp.clusters().apply(Map.of("app", Xds.staticCluster("app", "127.0.0.1", app.port)), "1");
        port = TestMesh.freePort();
        faultFirstPort = TestMesh.freePort();
        noCorsPort = TestMesh.freePort();
        dp.listeners().apply(Map.of("cors", listener("cors", port, CORS, FAULT),
                "fault-first", listener("fault-first", faultFirstPort, FAULT, CORS),
                "no-cors", listener("no-cors", noCorsPort, FAULT)), "1");
        CorsPolicy api = CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(exact(SHOP))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setPrefix("https://beta."))
                .setAllowMethods("GET,POST").setAllowHeaders("x-user,content-type").setExposeHeaders("x-served-by")
                .setMaxAge("600").setAllowCredentials(BoolValue.of(true))
                .setFilterEnabled(RuntimeFractionalPercent.newBuilder().setDefaultValue(FractionalPercent.newBuilder()
                        .setNumerator(100).setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                .build();
        CorsPolicy strict = CorsPolicy.newBuilder().addAllowOriginStringMatch(exact(SHOP))
                .setForwardNotMatchingPreflights(BoolValue.of(false)).build();
        HTTPFault abortAll = HTTPFault.newBuilder().setAbort(FaultAbort.newBuilder().setHttpStatus(418)
                .setPercentage(FractionalPercent.newBuilder().setNumerator(100))).build();
        Route abort = route("/abort", api).toBuilder().putTypedPerFilterConfig("envoy.filters.http.fault", Xds.any(abortAll)).build();
        Route direct = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/direct"))
                .setDirectResponse(DirectResponseAction.newBuilder().setStatus(204)).build();
        Route nowhere = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/nowhere"))
                .setRoute(RouteAction.newBuilder().setCluster("nowhere"))
                .putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(api)).build();
        // the virtual host's policy allows https://vh.example and says how long preflights are cached
        CorsPolicy vhPolicy = CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("https://vh.example")).setMaxAge("60")
                .setAllowMethods("GET").build();
        VirtualHost svc = Xds.vhost("svc", List.of("svc"), route("/api", api), route("/strict", strict), abort, direct, nowhere,
                        route("/partial", CorsPolicy.newBuilder().setAllowMethods("PUT").build()),
                        route("/any", CorsPolicy.newBuilder().addAllowOriginStringMatch(exact("*")).build()),
                        route("/off", api.toBuilder().setFilterEnabled(RuntimeFractionalPercent.newBuilder()
                                .setDefaultValue(FractionalPercent.newBuilder().setNumerator(0))).build()),
                        route("/", null))
                .toBuilder().putTypedPerFilterConfig("envoy.filters.http.cors", Xds.any(vhPolicy)).build();
        dp.routes().apply(Map.of("80", Xds.routes("80", svc)), "1");
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private TestMesh.Reply preflight(int listenerPort, String path, String origin) {
        return mesh.send(HttpMethod.OPTIONS, "127.0.0.2", listenerPort, "svc", path,
                Map.of("origin", origin, "access-control-request-method", "POST", "access-control-request-headers", "x-user"), null);
    }

    private TestMesh.Reply get(int listenerPort, String path, String origin) {
        return mesh.send(HttpMethod.GET, "127.0.0.2", listenerPort, "svc", path, Map.of("origin", origin), null);
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredByTheProxy() {
        TestMesh.Reply r = preflight(port, "/api/items", SHOP);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("access-control-allow-origin")).isEqualTo(SHOP);
        assertThat(r.header("access-control-allow-methods")).isEqualTo("GET,POST");
        assertThat(r.header("access-control-allow-headers")).isEqualTo("x-user,content-type");
        assertThat(r.header("access-control-max-age")).isEqualTo("600");
        assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
        assertThat(r.header("access-control-expose-headers")).as("only on actual responses").isNull();
        assertThat(r.body()).isEmpty();
        assertThat(app.hits.get()).as("the preflight never leaves the proxy").isZero();
        assertThat(preflight(port, "/api", "https://beta.shop.example.com").header("access-control-allow-origin"))
                .as("a prefix match").isEqualTo("https://beta.shop.example.com");
    }

    @Test
    void aPreflightFromAnotherOriginGoesUpstreamUntouched() {
        TestMesh.Reply r = preflight(port, "/api", "https://evil.example");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("app");
        assertThat(r.header("access-control-allow-origin")).isNull();
        assertThat(app.hits.get()).isEqualTo(1);
    }

    @Test
    void withoutForwardingAPreflightFromAnotherOriginIsAnsweredWithoutCorsHeaders() {
        TestMesh.Reply r = preflight(port, "/strict", "https://evil.example");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.response().headers().names()).noneMatch(n -> n.toLowerCase().startsWith("access-control-"));
        assertThat(app.hits.get()).isZero();
        assertThat(preflight(port, "/strict", SHOP).header("access-control-allow-origin")).isEqualTo(SHOP);
    }

    @Test
    void anAllowedOriginsResponseFromUpstreamGetsTheCorsHeaders() {
        TestMesh.Reply r = get(port, "/api", SHOP);
        assertThat(r.body()).isEqualTo("app");
        assertThat(r.header("access-control-allow-origin")).isEqualTo(SHOP);
        assertThat(r.header("access-control-allow-credentials")).isEqualTo("true");
        assertThat(r.header("access-control-expose-headers")).isEqualTo("x-served-by");
        assertThat(r.header("access-control-allow-methods")).as("only on preflights").isNull();
        assertThat(app.lastHeaders.get().get("origin")).as("the request goes on as it came").isEqualTo(SHOP);
        TestMesh.Reply options = mesh.send(HttpMethod.OPTIONS, "127.0.0.2", port, "svc", "/api", Map.of("origin", SHOP), null);
        assertThat(options.body()).as("an OPTIONS without Access-Control-Request-Method is no preflight").isEqualTo("app");
        assertThat(options.header("access-control-allow-origin")).isEqualTo(SHOP);
    }

    @Test
    void anotherOriginOrNoOriginLeavesTheResponseAlone() {
        TestMesh.Reply other = get(port, "/api", "https://evil.example");
        assertThat(other.body()).isEqualTo("app");
        assertThat(other.header("access-control-allow-origin")).isNull();
        TestMesh.Reply none = mesh.get("127.0.0.2", port, "svc", "/api");
        assertThat(none.header("access-control-allow-origin")).isNull();
    }

    @Test
    void theProxysOwnRepliesAfterTheFilterCarryTheHeadersToo() {
        TestMesh.Reply aborted = get(port, "/abort", SHOP);
        assertThat(aborted.status()).isEqualTo(418);
        assertThat(aborted.header("access-control-allow-origin")).as("the fault filter comes after CORS").isEqualTo(SHOP);
        assertThat(preflight(port, "/abort", SHOP).status()).as("a preflight is answered before the fault").isEqualTo(200);
        TestMesh.Reply noCluster = get(port, "/nowhere", SHOP);
        assertThat(noCluster.status()).isEqualTo(503);
        assertThat(noCluster.header("x-isthmus-response-flags")).isEqualTo("NC");
        assertThat(noCluster.header("access-control-allow-origin")).isEqualTo(SHOP);
        TestMesh.Reply direct = get(port, "/direct", "https://vh.example");
        assertThat(direct.status()).isEqualTo(204);
        assertThat(direct.header("access-control-allow-origin")).as("the virtual host's policy").isEqualTo("https://vh.example");
    }

    @Test
    void withTheFaultFilterFirstAnAbortedRequestGetsNoCorsHeaders() {
        TestMesh.Reply preflight = preflight(faultFirstPort, "/abort", SHOP);
        assertThat(preflight.status()).as("the fault filter aborts it before CORS sees it").isEqualTo(418);
        assertThat(preflight.header("access-control-allow-origin")).isNull();
        assertThat(preflight(faultFirstPort, "/api", SHOP).header("access-control-allow-origin")).isEqualTo(SHOP);
        assertThat(app.hits.get()).isZero();
    }

    @Test
    void aRouteWithoutItsOwnPolicyTakesTheVirtualHostsAndAPartialOneTakesTheRestFromIt() {
        TestMesh.Reply vh = preflight(port, "/other", "https://vh.example");
        assertThat(vh.header("access-control-allow-origin")).isEqualTo("https://vh.example");
        assertThat(vh.header("access-control-allow-methods")).isEqualTo("GET");
        assertThat(preflight(port, "/api", "https://vh.example").header("access-control-allow-origin"))
                .as("the route's own origins replace the virtual host's").isNull();
        TestMesh.Reply partial = preflight(port, "/partial", "https://vh.example");
        assertThat(partial.header("access-control-allow-origin")).as("origins from the virtual host").isEqualTo("https://vh.example");
        assertThat(partial.header("access-control-allow-methods")).as("methods from the route").isEqualTo("PUT");
        assertThat(partial.header("access-control-max-age")).isEqualTo("60");
    }

    @Test
    void aMatcherOfStarAllowsEveryOriginAndTheAnswerNamesTheRequestsOrigin() {
        TestMesh.Reply r = preflight(port, "/any", "https://anyone.example");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("access-control-allow-origin")).isEqualTo("https://anyone.example");
        assertThat(r.header("access-control-allow-credentials")).isNull();
        assertThat(app.hits.get()).isZero();
    }

    @Test
    void aFilterEnabledForNoRequestDoesNothing() {
        TestMesh.Reply r = preflight(port, "/off", SHOP);
        assertThat(r.body()).isEqualTo("app");
        assertThat(r.header("access-control-allow-origin")).isNull();
    }

    @Test
    void withoutTheFilterInTheChainPoliciesHaveNoEffect() {
        TestMesh.Reply preflight = preflight(noCorsPort, "/api", SHOP);
        assertThat(preflight.body()).isEqualTo("app");
        assertThat(preflight.header("access-control-allow-origin")).isNull();
        assertThat(get(noCorsPort, "/api", SHOP).header("access-control-allow-origin")).isNull();
        assertThat(app.hits.get()).isEqualTo(2);
    }
}
