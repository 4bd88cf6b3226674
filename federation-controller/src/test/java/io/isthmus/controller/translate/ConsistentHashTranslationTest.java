package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DestinationRule's consistent hash becomes the cluster's RING_HASH or MAGLEV and the hash policy of every route
 * to it: the default route, VirtualService routes (when their destinations agree), subsets and gateways.
 */
class ConsistentHashTranslationTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v2"))));
        translator = translator(r, config);
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    private ProxyResources sidecarResources() {
        return translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
    }

    private List<Route> reviewsRoutes() {
        return sidecarResources().routes().get("9080").getVirtualHosts(0).getRoutesList();
    }

    private static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              trafficPolicy:
                loadBalancer:
                  consistentHash:
                    httpCookie: {name: session, path: /, ttl: 30m}
              subsets:
              - name: v1
                labels: {version: v1}
              - name: v2
                labels: {version: v2}
                trafficPolicy:
                  loadBalancer:
                    consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 65537}}
            """;

    @Test
    void theClusterHashesAndTheDefaultRouteSaysWhat() {
        apply(RULE);
        Cluster c = sidecarResources().clusters().get("outbound|9080||" + REVIEWS);
        assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
        assertThat(c.getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(1024);
        RouteAction.HashPolicy p = reviewsRoutes().get(0).getRoute().getHashPolicy(0);
        assertThat(p.getCookie().getName()).isEqualTo("session");
        assertThat(p.getCookie().getPath()).isEqualTo("/");
        assertThat(p.getCookie().getTtl().getSeconds()).isEqualTo(1800);
    }

    @Test
    void aSubsetsOwnHashWinsForItsClusterAndRoutes() {
        apply(RULE);
        Cluster v2 = sidecarResources().clusters().get("outbound|9080|v2|" + REVIEWS);
        assertThat(v2.getLbPolicy()).isEqualTo(Cluster.LbPolicy.MAGLEV);
        assertThat(v2.getMaglevLbConfig().getTableSize().getValue()).isEqualTo(65537);
        assertThat(sidecarResources().clusters().get("outbound|9080|v1|" + REVIEWS).getLbPolicy())
                .as("v1 inherits the host's policy").isEqualTo(Cluster.LbPolicy.RING_HASH);
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - match: [{headers: {x-canary: {exact: "1"}}}]
                    route: [{destination: {host: reviews, subset: v2}}]
                  - route:
                    - {destination: {host: reviews, subset: v1}, weight: 50}
                    - {destination: {host: reviews, subset: v2}, weight: 50}
                  - route: [{destination: {host: reviews, subset: v1}}]
                """);
        List<Route> routes = reviewsRoutes();
        assertThat(routes.get(0).getRoute().getHashPolicy(0).getHeader().getHeaderName()).isEqualTo("x-user");
        assertThat(routes.get(1).getRoute().getHashPolicyList()).as("destinations that hash differently: none").isEmpty();
        assertThat(routes.get(2).getRoute().getHashPolicy(0).getCookie().getName()).isEqualTo("session");
    }

    @Test
    void sourceIpAndQueryParameterKeys() {
        apply(RULE.replace("httpCookie: {name: session, path: /, ttl: 30m}", "useSourceIp: true"));
        assertThat(reviewsRoutes().get(0).getRoute().getHashPolicy(0).getConnectionProperties().getSourceIp()).isTrue();
        apply(RULE.replace("httpCookie: {name: session, path: /, ttl: 30m}", "httpQueryParameterName: user"));
        assertThat(reviewsRoutes().get(0).getRoute().getHashPolicy(0).getQueryParameter().getName()).isEqualTo("user");
    }

    @Test
    void withoutARuleNothingHashes() {
        assertThat(sidecarResources().clusters().get("outbound|9080||" + REVIEWS).getLbPolicy())
                .isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(reviewsRoutes().get(0).getRoute().getHashPolicyList()).isEmpty();
    }

    @Test
    void anIngressGatewayRouteHashesToo() {
        apply(RULE + """
                ---
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: public, namespace: default}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8080, name: http, protocol: HTTP}
                    hosts: ["*"]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: front, namespace: default}
                spec:
                  hosts: [a.example.com]
                  gateways: [public]
                  http:
                  - route: [{destination: {host: reviews}}]
                """);
        Route r = translator.resourcesFor(GatewayTranslationTest.ingress("ingressgateway", null, null)).routes()
                .get("http.8080").getVirtualHosts(0).getRoutes(0);
        assertThat(r.getRoute().getHashPolicy(0).getCookie().getName()).isEqualTo("session");
    }
}
