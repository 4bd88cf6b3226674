package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A VirtualService route's {@code corsPolicy} becomes the per-route config of Envoy's CORS filter, as Istio's
 * {@code TranslateCORSPolicy} builds it, and every outbound and gateway HTTP chain has that filter before the fault
 * filter and the router.
 */
class CorsTranslationTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private static final String GATEWAY = """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: public, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8080, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            """;

    private static final String REVIEWS_VS = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [mesh, istio-system/public]
              http:
              - match: [{uri: {prefix: /api}}, {uri: {exact: /v1}}]
                corsPolicy:
                  allowOrigins: [{exact: "https://shop.example.com"}, {prefix: "https://beta."}, {regex: "https://.*\\\\.example\\\\.org"}]
                  allowMethods: [GET, POST]
                  allowHeaders: [x-user, content-type]
                  exposeHeaders: [x-request-id, x-trace]
                  maxAge: 24h
                  allowCredentials: true
                  unmatchedPreflights: IGNORE
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /old}}]
                redirect: {uri: /new}
                corsPolicy: {allowOrigin: ["https://legacy.example.com"]}
              - route: [{destination: {host: reviews}}]
            """;

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    private List<Route> sidecarRoutes() {
        return translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).routes().get("9080")
                .getVirtualHostsList().stream().filter(vh -> vh.getName().equals(REVIEWS + ":9080")).findFirst().orElseThrow()
                .getRoutesList();
    }

    private static CorsPolicy cors(Route r) throws Exception {
        return r.getTypedPerFilterConfigOrThrow(Envoy.CORS).unpack(CorsPolicy.class);
    }

    @Test
    void aCorsPolicyIsThePerRouteConfigOfTheCorsFilterOnEveryMatchOfItsRoute() throws Exception {
        apply(REVIEWS_VS);
        List<Route> routes = sidecarRoutes();
        assertThat(routes).hasSize(4);
        CorsPolicy expected = CorsPolicy.newBuilder()
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setExact("https://shop.example.com"))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setPrefix("https://beta."))
                .addAllowOriginStringMatch(StringMatcher.newBuilder().setSafeRegex(
                        io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder().setRegex("https://.*\\.example\\.org")))
                .setAllowMethods("GET,POST")
                .setAllowHeaders("x-user,content-type")
                .setExposeHeaders("x-request-id,x-trace")
                .setMaxAge("86400")
                .setAllowCredentials(com.google.protobuf.BoolValue.of(true))
                .setFilterEnabled(io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent.newBuilder().setDefaultValue(
                        FractionalPercent.newBuilder().setNumerator(100).setDenominator(FractionalPercent.DenominatorType.HUNDRED)))
                .setForwardNotMatchingPreflights(com.google.protobuf.BoolValue.of(false))
                .build();
        assertThat(cors(routes.get(0))).isEqualTo(expected);
        assertThat(cors(routes.get(1))).isEqualTo(expected);
        assertThat(routes.get(3).getTypedPerFilterConfigMap()).as("a route without corsPolicy").isEmpty();
    }

    @Test
    void unsetFieldsStayUnsetAndUnmatchedPreflightsAreForwardedByDefault() throws Exception {
        apply(REVIEWS_VS);
        Route redirect = sidecarRoutes().get(2);
        assertThat(redirect.hasRedirect()).isTrue();
        CorsPolicy c = cors(redirect);
        assertThat(c.getAllowOriginStringMatchList()).as("the deprecated allowOrigin, as exact matches")
                .containsExactly(StringMatcher.newBuilder().setExact("https://legacy.example.com").build());
        assertThat(c.getAllowMethods()).isEmpty();
        assertThat(c.getAllowHeaders()).isEmpty();
        assertThat(c.getExposeHeaders()).isEmpty();
        assertThat(c.getMaxAge()).isEmpty();
        assertThat(c.hasAllowCredentials()).isFalse();
        assertThat(c.getForwardNotMatchingPreflights().getValue()).isTrue();
        assertThat(c.hasShadowEnabled()).isFalse();
    }

    @Test
    void theOutboundChainHasTheCorsFilterBeforeTheFaultFilterAndTheRouter() throws Exception {
        Listener l = new ListenerTranslator().outboundHttp(9080);
        HttpConnectionManager hcm = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList()).extracting(HttpFilter::getName)
                .containsExactly("istio.metadata_exchange", Envoy.CORS, Envoy.FAULT, Envoy.ROUTER);
        assertThat(hcm.getHttpFilters(1).getTypedConfig().unpack(Cors.class)).isEqualTo(Cors.getDefaultInstance());
    }

    @Test
    void aGatewayRouteCarriesThePolicyAndItsChainTheFilter() throws Exception {
        apply(GATEWAY + REVIEWS_VS);
        var proxy = translator.resourcesFor(GatewayTranslationTest.ingress("ingressgateway", null, null));
        List<Route> routes = proxy.routes().get("http.8080").getVirtualHosts(0).getRoutesList();
        assertThat(cors(routes.get(0)).getAllowMethods()).isEqualTo("GET,POST");
        assertThat(cors(routes.get(2)).getAllowOriginStringMatch(0).getExact()).isEqualTo("https://legacy.example.com");
        Listener l = proxy.listeners().values().stream().filter(x -> x.getName().contains("8080")).findFirst().orElseThrow();
        List<String> names = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class)
                .getHttpFiltersList().stream().map(HttpFilter::getName).toList();
        assertThat(names).endsWith(Envoy.CORS, Envoy.FAULT, Envoy.ROUTER);
    }
}
