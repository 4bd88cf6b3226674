package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MeshConfig's {@code localityLbSetting} is the locality balancing of every cluster whose DestinationRule has none, as
 * Istio's: here turning it off puts a zone's endpoints and the next zone's in one priority; a DestinationRule's own
 * setting still wins for its host.
 */
class MeshWideLocalityTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v2"))));
        translator = translator(r, config);
    }

    private List<Integer> priorities() {
        ClusterLoadAssignment cla = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).endpoints()
                .get("outbound|9080||" + REVIEWS);
        return cla.getEndpointsList().stream().map(LocalityLbEndpoints::getPriority).sorted().toList();
    }

    @Test
    void aMeshWideSettingAppliesWhereNoDestinationRuleHasOne() {
        assertThat(priorities()).as("locality-aware by default: the caller's zone first").containsExactly(0, 1);
        assertThat(Fixtures.applyMesh(config, translator, "localityLbSetting: {enabled: false}")).isNull();
        assertThat(priorities()).as("mesh-wide off: one priority").containsExactly(0, 0);

        assertThat(Fixtures.apply(config, translator, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    loadBalancer:
                      localityLbSetting: {enabled: true}
                """)).isNull();
        assertThat(priorities()).as("the DestinationRule's own setting wins").containsExactly(0, 1);
    }

    @Test
    void aBadMeshWideSettingIsRefusedNamingTheField() {
        ConfigException e = Fixtures.applyMesh(config, translator,
                "localityLbSetting: {distribute: [{from: us-east, to: {us-east: 50}}]}");
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("localityLbSetting.distribute[0].to", "weights must add up to 100, got 50");
    }
}
