package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MeshConfig's {@code defaultHttpRetryPolicy}, as Istio's: the retry policy of every HTTP route that sets none (a
 * service's default route, a VirtualService route without {@code retries}, on sidecars and ingress gateways alike); a
 * route's own {@code retries} still win; {@code attempts: 0} turns retries off mesh-wide.
 */
class MeshRetryPolicyTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    /** Applies VirtualService {@code reviews} with these {@code http} routes (YAML list items). */
    private void reviewsRoutes(String httpRoutes) {
        apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                """ + httpRoutes.indent(2));
    }

    private List<Route> sidecarRoutes() {
        return translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).routes().get("9080")
                .getVirtualHosts(0).getRoutesList();
    }

    @Test
    void withoutAMeshPolicyRoutesGetIstiosDefault() {
        RetryPolicy p = sidecarRoutes().get(0).getRoute().getRetryPolicy();
        assertThat(p).isEqualTo(RouteTranslator.defaultRetryPolicy());
        assertThat(p.getNumRetries().getValue()).isEqualTo(2);
        assertThat(p.getRetryOn()).isEqualTo(RouteTranslator.RETRY_ON);
        assertThat(p.getRetriableStatusCodesList()).containsExactly(503);
    }

    @Test
    void theMeshPolicyReplacesTheDefaultOfEveryRouteThatSetsNone() {
        assertThat(Fixtures.applyMesh(config, translator,
                "defaultHttpRetryPolicy: {attempts: 4, retryOn: 'gateway-error,reset', perTryTimeout: 1500ms}")).isNull();
        RetryPolicy p = sidecarRoutes().get(0).getRoute().getRetryPolicy();
        assertThat(p.getNumRetries().getValue()).isEqualTo(4);
        assertThat(p.getRetryOn()).isEqualTo("gateway-error,reset");
        assertThat(p.getRetriableStatusCodesList()).as("no retriable-status-codes condition, no codes").isEmpty();
        assertThat(p.getPerTryTimeout().getSeconds()).isEqualTo(1);
        assertThat(p.getPerTryTimeout().getNanos()).isEqualTo(500_000_000);
        assertThat(p.getRetryHostPredicateList()).as("still avoids the hosts tried before")
                .extracting(RetryPolicy.RetryHostPredicate::getName).containsExactly("envoy.retry_host_predicates.previous_hosts");

        reviewsRoutes("""
                  - match: [{uri: {prefix: /own}}]
                    retries: {attempts: 1, retryOn: 5xx}
                    route: [{destination: {host: reviews}}]
                  - route: [{destination: {host: reviews}}]
                """);
        List<Route> routes = sidecarRoutes();
        assertThat(routes).hasSize(2);
        assertThat(routes.get(0).getRoute().getRetryPolicy().getNumRetries().getValue()).as("the route's own retries win")
                .isEqualTo(1);
        assertThat(routes.get(0).getRoute().getRetryPolicy().getRetryOn()).isEqualTo("5xx");
        assertThat(routes.get(1).getRoute().getRetryPolicy().getNumRetries().getValue()).as("a route without retries")
                .isEqualTo(4);
    }

    @Test
    void aPolicyWithoutAttemptsTurnsRetriesOffAsInIstio() {
        reviewsRoutes("""
                  - match: [{uri: {prefix: /timed}}]
                    retries: {perTryTimeout: 2s, retryOn: 5xx}
                    route: [{destination: {host: reviews}}]
                  - route: [{destination: {host: reviews}}]
                """);
        List<Route> routes = sidecarRoutes();
        assertThat(routes.get(0).getRoute().hasRetryPolicy()).as("retries without attempts: none").isFalse();
        assertThat(routes.get(1).getRoute().getRetryPolicy()).as("a route without retries keeps the default")
                .isEqualTo(RouteTranslator.defaultRetryPolicy());

        assertThat(Fixtures.applyMesh(config, translator, "defaultHttpRetryPolicy: {retryOn: 5xx}")).isNull();
        assertThat(sidecarRoutes().get(1).getRoute().hasRetryPolicy()).as("nor a mesh policy without attempts").isFalse();
    }

    @Test
    void zeroAttemptsTurnRetriesOffMeshWideButARouteMayStillRetry() {
        assertThat(Fixtures.applyMesh(config, translator, "defaultHttpRetryPolicy: {attempts: 0}")).isNull();
        assertThat(sidecarRoutes().get(0).getRoute().hasRetryPolicy()).isFalse();

        reviewsRoutes("""
                  - retries: {attempts: 3}
                    route: [{destination: {host: reviews}}]
                """);
        assertThat(sidecarRoutes().get(0).getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    }

    @Test
    void ingressGatewayRoutesTakeTheMeshPolicyToo() {
        assertThat(Fixtures.applyMesh(config, translator, "defaultHttpRetryPolicy: {attempts: 5}")).isNull();
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
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: front, namespace: default}
                spec:
                  hosts: [a.example.com]
                  gateways: [istio-system/public]
                  http:
                  - route: [{destination: {host: reviews}}]
                """);
        Route r = translator.resourcesFor(GatewayTranslationTest.ingress("ingressgateway", null, null)).routes()
                .get("http.8080").getVirtualHosts(0).getRoutes(0);
        assertThat(r.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(5);
        assertThat(r.getRoute().getRetryPolicy().getRetryOn()).isEqualTo(RouteTranslator.RETRY_ON);
    }

    @Test
    void aBadPolicyIsRefusedNamingTheFieldAndTheLastGoodOneStays() {
        assertThat(Fixtures.applyMesh(config, translator, "defaultHttpRetryPolicy: {attempts: 3}")).isNull();
        assertThat(Fixtures.applyMesh(config, translator, "defaultHttpRetryPolicy: {attempts: 3, retryOn: sometimes}"))
                .hasMessageContaining("data.mesh.defaultHttpRetryPolicy.retryOn")
                .hasMessageContaining("unknown retry condition 'sometimes'");
        assertThat(sidecarRoutes().get(0).getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(3);
    }
}
