package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A VirtualService route's {@code fault}, {@code rewrite} and mirrors become Envoy's per-route {@code HTTPFault}
 * (with the fault filter in every outbound and gateway HTTP chain), {@code prefix_rewrite} /
 * {@code host_rewrite_literal} and {@code request_mirror_policies}, on sidecars and gateways alike.
 */
class HttpRoutePoliciesTranslationTest {
    private static final String AUDIT = "audit.tools.svc.cluster.local";
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.putService(new ClusterService("east", "tools", "audit", AUDIT,
                List.of(new ServicePort("http", 9080, 8080, Protocol.HTTP), new ServicePort("admin", 9090, 9090, Protocol.HTTP)),
                Map.of(), List.of(endpoint("10.1.0.20", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    private static final String REVIEWS_VS = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [mesh, istio-system/public]
              http:
              - match: [{uri: {prefix: /slow}}, {uri: {exact: /slower}}]
                fault:
                  delay: {fixedDelay: 250ms, percentage: {value: 12.5}}
                  abort: {httpStatus: 503, percentage: {value: 0.01}}
                route: [{destination: {host: reviews}}]
              - match: [{uri: {prefix: /api/v1/}}]
                rewrite: {uri: /v2/, authority: reviews-internal}
                mirror: {host: audit.tools.svc.cluster.local}
                mirrorPercentage: {value: 50}
                route: [{destination: {host: reviews}}]
              - mirrors:
                - destination: {host: audit.tools.svc.cluster.local, port: {number: 9090}}
                - destination: {host: reviews, subset: v1}
                  percentage: {value: 1}
                route: [{destination: {host: reviews}}]
            """;

    private List<Route> sidecarRoutes() {
        return translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).routes().get("9080")
                .getVirtualHostsList().stream().filter(vh -> vh.getName().equals(REVIEWS + ":9080")).findFirst().orElseThrow()
                .getRoutesList();
    }

    private static FractionalPercent perMillion(int n) {
        return FractionalPercent.newBuilder().setNumerator(n).setDenominator(FractionalPercent.DenominatorType.MILLION).build();
    }

    @Test
    void aFaultIsThePerRouteConfigOfTheFaultFilterOnEveryMatchOfItsRoute() throws Exception {
        apply(REVIEWS_VS);
        List<Route> routes = sidecarRoutes();
        assertThat(routes).hasSize(4);
        for (Route r : routes.subList(0, 2)) {
            HTTPFault f = r.getTypedPerFilterConfigOrThrow(Envoy.FAULT).unpack(HTTPFault.class);
            assertThat(f.getDelay().getFixedDelay().getNanos()).isEqualTo(250_000_000);
            assertThat(f.getDelay().getPercentage()).isEqualTo(perMillion(125_000));
            assertThat(f.getAbort().getHttpStatus()).isEqualTo(503);
            assertThat(f.getAbort().getPercentage()).isEqualTo(perMillion(100));
        }
        assertThat(routes.get(2).getTypedPerFilterConfigMap()).isEmpty();
        assertThat(routes.get(0).getRoute().getPrefixRewrite()).isEmpty();
    }

    @Test
    void aUriRegexRewriteIsTheRoutesRegexRewrite() {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - rewrite: {uriRegexRewrite: {match: "^/v1/(.*)", rewrite: "/v2/\\\\1"}}
                    route: [{destination: {host: reviews}}]
                """);
        var rr = sidecarRoutes().get(0).getRoute().getRegexRewrite();
        assertThat(rr.getPattern().getRegex()).isEqualTo("^/v1/(.*)");
        assertThat(rr.getSubstitution()).isEqualTo("/v2/\\1");
        assertThat(sidecarRoutes().get(0).getRoute().getPrefixRewrite()).isEmpty();
    }

    @Test
    void aRewriteSetsThePrefixAndTheAuthority() {
        apply(REVIEWS_VS);
        RouteAction a = sidecarRoutes().get(2).getRoute();
        assertThat(a.getPrefixRewrite()).isEqualTo("/v2/");
        assertThat(a.getHostRewriteLiteral()).isEqualTo("reviews-internal");
    }

    @Test
    void mirrorsGoToTheirDestinationsClusterWithTheirShare() {
        apply(REVIEWS_VS);
        List<Route> routes = sidecarRoutes();
        var single = routes.get(2).getRoute().getRequestMirrorPoliciesList();
        assertThat(single).hasSize(1);
        assertThat(single.get(0).getCluster()).as("a destination without a port goes to the port the request came in on")
                .isEqualTo("outbound|9080||" + AUDIT);
        assertThat(single.get(0).getRuntimeFraction().getDefaultValue()).isEqualTo(perMillion(500_000));
        var many = routes.get(3).getRoute().getRequestMirrorPoliciesList();
        assertThat(many).extracting(RouteAction.RequestMirrorPolicy::getCluster)
                .containsExactly("outbound|9090||" + AUDIT, "outbound|9080|v1|" + REVIEWS);
        assertThat(many.get(0).getRuntimeFraction().getDefaultValue()).isEqualTo(perMillion(1_000_000));
        assertThat(many.get(1).getRuntimeFraction().getDefaultValue()).isEqualTo(perMillion(10_000));
        assertThat(routes.get(0).getRoute().getRequestMirrorPoliciesList()).isEmpty();
    }

    @Test
    void theOutboundHttpChainHasTheFaultFilterBeforeTheRouter() throws Exception {
        Listener l = new ListenerTranslator().outboundHttp(9080);
        assertThat(filterNames(l.getFilterChains(0).getFilters(0))).containsExactly("istio.metadata_exchange", Envoy.CORS, Envoy.FAULT, Envoy.ROUTER);
    }

    @Test
    void anIngressGatewayRouteCarriesTheSamePoliciesAndItsChainTheFaultFilter() throws Exception {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: public, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8080, name: http, protocol: HTTP}
                    hosts: ["*"]
                ---
                """ + REVIEWS_VS);
        var proxy = translator.resourcesFor(GatewayTranslationTest.ingress("ingressgateway", null, null));
        List<Route> routes = proxy.routes().get("http.8080").getVirtualHosts(0).getRoutesList();
        assertThat(routes.get(0).getTypedPerFilterConfigOrThrow(Envoy.FAULT).unpack(HTTPFault.class).getAbort().getHttpStatus())
                .isEqualTo(503);
        assertThat(routes.get(2).getRoute().getPrefixRewrite()).isEqualTo("/v2/");
        assertThat(routes.get(2).getRoute().getRequestMirrorPolicies(0).getCluster())
                .as("audit has two ports: a mirror without one goes to the gateway port, as a route destination does")
                .isEqualTo("outbound|8080||" + AUDIT);
        Listener l = proxy.listeners().values().stream().filter(x -> x.getName().contains("8080")).findFirst().orElseThrow();
        List<String> names = filterNames(l.getFilterChains(0).getFilters(0));
        assertThat(names).endsWith(Envoy.FAULT, Envoy.ROUTER);
    }

    private static List<String> filterNames(Filter hcmFilter) throws Exception {
        return hcmFilter.getTypedConfig().unpack(HttpConnectionManager.class).getHttpFiltersList().stream()
                .map(HttpFilter::getName).toList();
    }

    @Test
    void headerOperationsGoOnTheRouteOrOnEachWeightedClusterAndTheAuthorityIsAHostRewrite() {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - match: [{uri: {prefix: /split}}]
                    headers:
                      request: {set: {x-env: prod}, add: {x-via: mesh}, remove: [x-debug]}
                      response: {set: {cache-control: no-store}, remove: [server-timing]}
                    route:
                    - destination: {host: reviews, subset: v1}
                      weight: 50
                      headers: {request: {set: {x-subset: v1}}, response: {add: {x-served: v1}}}
                    - destination: {host: reviews, subset: v2}
                      weight: 50
                  - headers: {request: {set: {":authority": reviews.internal}}}
                    route:
                    - destination: {host: reviews}
                      headers: {request: {remove: [x-internal]}}
                """);
        List<Route> routes = sidecarRoutes();
        Route split = routes.get(0);
        assertThat(split.getRequestHeadersToAddList()).extracting(o -> o.getHeader().getKey() + "=" + o.getHeader().getValue()
                + " " + o.getAppendAction()).containsExactly("x-env=prod OVERWRITE_IF_EXISTS_OR_ADD", "x-via=mesh APPEND_IF_EXISTS_OR_ADD");
        assertThat(split.getRequestHeadersToRemoveList()).containsExactly("x-debug");
        assertThat(split.getResponseHeadersToAdd(0).getHeader().getKey()).isEqualTo("cache-control");
        assertThat(split.getResponseHeadersToRemoveList()).containsExactly("server-timing");
        var v1 = split.getRoute().getWeightedClusters().getClusters(0);
        assertThat(v1.getRequestHeadersToAdd(0).getHeader().getKey()).isEqualTo("x-subset");
        assertThat(v1.getResponseHeadersToAdd(0).getAppendAction()).isEqualTo(
                io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD);
        assertThat(split.getRoute().getWeightedClusters().getClusters(1).getRequestHeadersToAddCount()).isZero();
        Route single = routes.get(1);
        assertThat(single.getRoute().getHostRewriteLiteral()).isEqualTo("reviews.internal");
        assertThat(single.getRequestHeadersToAddList()).as("the authority is no header option").isEmpty();
        assertThat(single.getRequestHeadersToRemoveList()).as("an only destination's operations go on the route")
                .containsExactly("x-internal");
    }

    @Test
    void onASingleDestinationRouteTheRoutesOwnOperationsComeLastAndSoWin() {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - headers: {request: {set: {x-tier: route}}}
                    route:
                    - destination: {host: reviews}
                      headers: {request: {set: {x-tier: destination}}}
                """);
        assertThat(sidecarRoutes().get(0).getRequestHeadersToAddList()).extracting(o -> o.getHeader().getValue())
                .containsExactly("destination", "route");
    }

    @Test
    void aDirectResponseIsTheRoutesActionWithItsResponseHeaders() {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - match: [{uri: {exact: /maintenance}}]
                    directResponse: {status: 503, body: {string: "back soon"}}
                    headers: {response: {set: {retry-after: "120"}}}
                  - route: [{destination: {host: reviews}}]
                """);
        Route r = sidecarRoutes().get(0);
        assertThat(r.hasRoute()).isFalse();
        assertThat(r.getDirectResponse().getStatus()).isEqualTo(503);
        assertThat(r.getDirectResponse().getBody().getInlineString()).isEqualTo("back soon");
        assertThat(r.getResponseHeadersToAdd(0).getHeader().getKey()).isEqualTo("retry-after");
        assertThat(sidecarRoutes().get(1).getRoute().getCluster()).isEqualTo("outbound|9080||" + REVIEWS);
    }

    @Test
    void aRedirectIsTheRoutesRedirectActionAndFromRequestPortIsThePortServed() {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - match: [{uri: {prefix: /v1}}]
                    redirect: {uri: /v2, authority: new.example.com, scheme: https, redirectCode: 307}
                  - match: [{uri: {prefix: /same}}]
                    redirect: {uri: /other, derivePort: FROM_REQUEST_PORT}
                  - route: [{destination: {host: reviews}}]
                """);
        List<Route> routes = sidecarRoutes();
        var moved = routes.get(0).getRedirect();
        assertThat(moved.getPathRedirect()).isEqualTo("/v2");
        assertThat(moved.getHostRedirect()).isEqualTo("new.example.com");
        assertThat(moved.getSchemeRedirect()).isEqualTo("https");
        assertThat(moved.getResponseCode()).isEqualTo(io.envoyproxy.envoy.config.route.v3.RedirectAction.RedirectResponseCode.TEMPORARY_REDIRECT);
        assertThat(moved.getPortRedirect()).isZero();
        assertThat(routes.get(1).getRedirect().getPortRedirect()).isEqualTo(9080);
        assertThat(routes.get(1).getRedirect().getResponseCode())
                .isEqualTo(io.envoyproxy.envoy.config.route.v3.RedirectAction.RedirectResponseCode.MOVED_PERMANENTLY);
    }
}
