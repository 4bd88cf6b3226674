package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Istio config (DestinationRule, VirtualService, PeerAuthentication, AuthorizationPolicy) in the produced xDS. */
class MeshConfigTranslationTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        r.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"),
                        endpoint("10.2.0.11", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v2"))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", "10.255.0.2", 15443)));
        translator = translator(r, config);
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    @Test
    void subsetsBecomeClustersAndAWeightedVirtualServiceSplitsAcrossThem() throws Exception {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  subsets:
                  - name: v1
                    labels: {version: v1}
                  - name: v2
                    labels: {version: v2}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - destination: {host: reviews, subset: v1}
                      weight: 90
                    - destination: {host: reviews, subset: v2}
                      weight: 10
                """);
        ProxyResources r = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        assertThat(r.clusters()).containsKeys("outbound|9080|v1|" + REVIEWS, "outbound|9080|v2|" + REVIEWS);
        var v2 = r.endpoints().get("outbound|9080|v2|" + REVIEWS);
        assertThat(v2.getEndpointsList()).singleElement().satisfies(g -> {
            assertThat(g.getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.255.0.2");
            assertThat(g.getLbEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(1);
        });
        Route route = r.routes().get("9080").getVirtualHosts(0).getRoutes(0);
        assertThat(route.getRoute().getWeightedClusters().getClustersList())
                .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
                .containsExactly("outbound|9080|v1|" + REVIEWS + "=90", "outbound|9080|v2|" + REVIEWS + "=10");
        assertThat(route.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);

        ProxyView gw = ProxyView.fromNode(node("router", "10.255.0.2", "eastwest-0", "west", "net-west", WEST_A,
                ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-west"));
        ProxyResources g = translator.resourcesFor(gw);
        assertThat(g.endpoints().get("outbound|9080|v2|" + REVIEWS).getEndpoints(0).getLbEndpointsList())
                .singleElement().satisfies(e -> assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress()).isEqualTo("10.2.0.11"));
    }

    @Test
    void peerAuthenticationAndAuthorizationPolicyShapeTheInboundListener() throws Exception {
        apply("""
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: default}
                spec:
                  mtls: {mode: PERMISSIVE}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-east-client, namespace: default}
                spec:
                  action: DENY
                  rules:
                  - from:
                    - source:
                        principals: ["cluster.local/ns/default/sa/productpage"]
                """);
        ProxyView reviewsPod = ProxyView.fromNode(node("sidecar", "10.2.0.10", "reviews-10.2.0.10", "west", "net-west", WEST_A, null, null));
        Listener in = translator.resourcesFor(reviewsPod).listeners().get("inbound_9080");
        assertThat(in.getFilterChainsList()).hasSize(2);
        HttpConnectionManager hcm = in.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFiltersList()).extracting(f -> f.getName()).containsExactly("istio.metadata_exchange", "envoy.filters.http.rbac",
                "envoy.filters.http.router");
        RBAC rules = hcm.getHttpFilters(1).getTypedConfig()
                .unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class).getRules();
        assertThat(rules.getAction()).isEqualTo(RBAC.Action.DENY);
        assertThat(rules.getPoliciesMap().values()).singleElement().satisfies(p ->
                assertThat(p.getPrincipals(0).getAuthenticated().getPrincipalName().getExact())
                        .isEqualTo("spiffe://cluster.local/ns/default/sa/productpage"));
    }
}
