package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.MeshLabels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Istio's auto mTLS in the clusters a sidecar gets: the mesh's mTLS to a mesh service unless its workloads take only
 * plaintext (PeerAuthentication DISABLE) or MeshConfig {@code enableAutoMtls} is false; a DestinationRule's {@code tls}
 * wins; a cluster without the mesh's mTLS gets no endpoints behind another network's east-west gateway.
 */
class AutoMtlsTest {
    private static final String WEST_GATEWAY = "10.255.0.2";
    private static final String WHOLE = "outbound|9080||" + REVIEWS;
    private static final String V1 = "outbound|9080|v1|" + REVIEWS;
    /** The namespace's workloads take only plaintext. */
    private static final String NAMESPACE_PLAINTEXT = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: default}
            spec:
              mtls: {mode: DISABLE}
            """;
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v2"))));
        r.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v2"))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", WEST_GATEWAY, 15443)));
        translator = translator(r, config);
        assertThat(Fixtures.apply(config, translator, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  subsets:
                  - name: v1
                    labels: {version: v1}
                """)).isNull();
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator, yaml)).as("accepted").isNull();
    }

    private ProxyResources client() {
        return translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
    }

    private static boolean mtls(ProxyResources r, String cluster) {
        Cluster c = r.clusters().get(cluster);
        return Fixtures.meshSocket(c).isPresent();
    }

    private static List<String> addresses(ProxyResources r, String cluster) {
        ClusterLoadAssignment cla = r.endpoints().get(cluster);
        return cla.getEndpointsList().stream().flatMap(g -> g.getLbEndpointsList().stream())
                .map(e -> e.getEndpoint().getAddress().getSocketAddress().getAddress()).sorted().toList();
    }

    @Test
    void meshServicesGetMtlsAndReachOtherNetworksThroughTheirGateway() {
        ProxyResources r = client();
        assertThat(mtls(r, WHOLE)).isTrue();
        assertThat(addresses(r, WHOLE)).containsExactly("10.1.0.10", "10.1.0.11", WEST_GATEWAY);
    }

    @Test
    void aNamespaceThatTakesOnlyPlaintextIsCalledInPlaintextWithinTheNetwork() {
        apply(NAMESPACE_PLAINTEXT);
        ProxyResources r = client();
        assertThat(mtls(r, WHOLE)).as("plaintext, as the workloads accept").isFalse();
        assertThat(addresses(r, WHOLE)).as("west's gateway needs the mesh's mTLS: not offered")
                .containsExactly("10.1.0.10", "10.1.0.11");
    }

    @Test
    void workloadPoliciesDecidePerSubsetAndMixedWorkloadsKeepMtls() {
        apply("""
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: legacy-v1, namespace: default}
                spec:
                  selector: {matchLabels: {version: v1}}
                  mtls: {mode: DISABLE}
                """);
        ProxyResources r = client();
        assertThat(mtls(r, V1)).as("every v1 workload takes only plaintext").isFalse();
        assertThat(mtls(r, WHOLE)).as("v2 workloads are STRICT: the service keeps mTLS").isTrue();
        assertThat(addresses(r, WHOLE)).contains(WEST_GATEWAY);
    }

    @Test
    void aPortLevelDisableCountsForThatTargetPortOnly() {
        apply(reviewsStrictExceptPort(9080));
        assertThat(mtls(client(), WHOLE)).isFalse();

        apply(reviewsStrictExceptPort(9999));
        assertThat(mtls(client(), WHOLE)).isTrue();
    }

    /** A PeerAuthentication of reviews' workloads: STRICT, but DISABLE on one (target) port. */
    private static String reviewsStrictExceptPort(int port) {
        return """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: reviews, namespace: default}
                spec:
                  selector: {matchLabels: {app: reviews}}
                  mtls: {mode: STRICT}
                  portLevelMtls:
                    %d: {mode: DISABLE}
                """.formatted(port);
    }

    /** reviews' DestinationRule with only {@code trafficPolicy.tls.mode} set. */
    private static String reviewsTls(String mode) {
        return """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    tls: {mode: %s}
                """.formatted(mode);
    }

    @Test
    void aDestinationRulesTlsWinsOverThePeerAuthentication() {
        apply(NAMESPACE_PLAINTEXT);
        apply(reviewsTls("ISTIO_MUTUAL"));
        ProxyResources r = client();
        assertThat(mtls(r, WHOLE)).isTrue();
        assertThat(addresses(r, WHOLE)).contains(WEST_GATEWAY);
    }

    @Test
    void aDestinationRuleThatDisablesTlsReachesOnlyTheProxysNetwork() {
        apply(reviewsTls("DISABLE"));
        ProxyResources r = client();
        assertThat(mtls(r, WHOLE)).isFalse();
        assertThat(addresses(r, WHOLE)).containsExactly("10.1.0.10", "10.1.0.11");
    }

    @Test
    void autoMtlsOffMeansPlaintextUnlessARuleAsksForTheMeshsMtls() {
        assertThat(Fixtures.applyMesh(config, translator, "enableAutoMtls: false")).isNull();
        ProxyResources r = client();
        assertThat(mtls(r, WHOLE)).isFalse();
        assertThat(mtls(r, V1)).isFalse();
        assertThat(addresses(r, WHOLE)).doesNotContain(WEST_GATEWAY);

        apply(reviewsTls("ISTIO_MUTUAL"));
        r = client();
        assertThat(mtls(r, WHOLE)).isTrue();
        assertThat(addresses(r, WHOLE)).contains(WEST_GATEWAY);
    }

    /**
     * Pods without a sidecar behind a mesh service (a namespace half-way into the mesh): each endpoint is marked for
     * the cluster's transport-socket matches, {@code tlsMode: istio} with a sidecar (mTLS) and {@code disabled} without
     * (plaintext); one without a sidecar on another network is out of reach (its gateway routes the mesh's mTLS only),
     * so it neither weighs on that gateway nor appears in the gateway's own table.
     */
    @Test
    void endpointsWithoutASidecarAreMarkedForPlaintextAndNeverSentThroughAGateway() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                withoutSidecar(endpoint("10.1.0.11", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")))));
        r.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"),
                withoutSidecar(endpoint("10.2.0.11", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1")),
                withoutSidecar(endpoint("10.2.0.12", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1")))));
        r.replaceGateways("west", List.of(new NetworkGateway("net-west", "west", WEST_GATEWAY, 15443)));
        MeshTranslator t = translator(r, config);

        ProxyResources east = t.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        assertThat(east.clusters().get(WHOLE).getTransportSocketMatchesCount()).isEqualTo(2);
        Map<String, String> modes = new java.util.TreeMap<>();
        Map<String, Integer> weights = new java.util.TreeMap<>();
        east.endpoints().get(WHOLE).getEndpointsList().stream().flatMap(g -> g.getLbEndpointsList().stream()).forEach(e -> {
            String at = e.getEndpoint().getAddress().getSocketAddress().getAddress();
            modes.put(at, e.getMetadata().getFilterMetadataOrThrow("envoy.transport_socket_match")
                    .getFieldsOrThrow("tlsMode").getStringValue());
            weights.put(at, e.getLoadBalancingWeight().getValue());
        });
        assertThat(modes).containsExactly(Map.entry("10.1.0.10", "istio"), Map.entry("10.1.0.11", "disabled"),
                Map.entry(WEST_GATEWAY, "istio"));
        assertThat(weights.get(WEST_GATEWAY)).as("only west's pod with a sidecar stands behind its gateway").isEqualTo(1);

        ProxyResources gateway = t.resourcesFor(ProxyView.fromNode(node("router", WEST_GATEWAY, "eastwest-0", "west",
                "net-west", WEST_A, io.isthmus.mesh.ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-west")));
        assertThat(addresses(gateway, WHOLE)).as("the gateway routes to pods that take the mesh's mTLS only")
                .containsExactly("10.2.0.10");
    }

    private static WorkloadEndpoint withoutSidecar(WorkloadEndpoint e) {
        Map<String, String> labels = new java.util.HashMap<>(e.labels());
        labels.put(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_DISABLED);
        return new WorkloadEndpoint(e.address(), e.ports(), e.cluster(), e.network(), e.locality(), e.health(),
                e.serviceAccount(), e.podName(), e.namespace(), labels);
    }
}
