package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code localityLbSetting.distribute}, as Istio's locality weighted distribution: a proxy whose locality matches a
 * rule's {@code from} gets every endpoint at one priority, each {@code to} locality weighted by its share, and no
 * endpoint of a locality no {@code to} names; other proxies keep the ranking by locality.
 */
class LocalityDistributeTest {
    private final EndpointTranslator translator = new EndpointTranslator();
    private final OutboundName name = OutboundName.of(REVIEWS, 9080);
    private final Map<String, NetworkGateway> gateways = Map.of(
            "net-west", new NetworkGateway("net-west", "west", "10.255.0.2", 15443));
    private static final Locality EU = Locality.of("eu-central", "eu-central-a");

    private FederatedService scene() {
        return reviews(List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.12", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.13", "east", "net-east", EU, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.2.0.11", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v2")));
    }

    private static Optional<TrafficPolicy.LocalityLb> rule(String from, TrafficPolicy.DistributeTarget... to) {
        return Optional.of(new TrafficPolicy.LocalityLb(true, List.of(), List.of(),
                List.of(new TrafficPolicy.Distribute(from, List.of(to)))));
    }

    private static TrafficPolicy.DistributeTarget to(String locality, int weight) {
        return new TrafficPolicy.DistributeTarget(locality, weight);
    }

    private ClusterLoadAssignment forEastA(Optional<TrafficPolicy.LocalityLb> lb) {
        return translator.forProxy(name, scene(), HTTP_9080, Map.of(), sidecar("10.1.0.5", "east", "net-east", EAST_A),
                gateways::get, lb);
    }

    @Test
    void eachTargetGetsItsShareAtOnePriorityAndTheRestNothing() {
        ClusterLoadAssignment cla = forEastA(rule("us-east/us-east-a", to("us-east/us-east-a", 70), to("us-west/*", 30)));
        assertThat(cla.getEndpointsList()).extracting(g -> g.getLocality().getZone()).containsExactly("us-east-a", "us-west-a");
        assertThat(cla.getEndpointsList()).allSatisfy(g -> assertThat(g.getPriority()).isZero());
        assertThat(group(cla, "us-east-a").getLoadBalancingWeight().getValue()).isEqualTo(70);
        assertThat(group(cla, "us-west-a").getLoadBalancingWeight().getValue()).isEqualTo(30);
        assertThat(addresses(group(cla, "us-west-a"))).as("west behind its gateway").containsExactly("10.255.0.2:15443");
    }

    @Test
    void aWildcardTargetSplitsItsWeightOverTheLocalitiesItTakesByTheirOwnWeights() {
        // us-east/* takes zone a (1 endpoint) and zone b (2): 60 split 20 / 40; the more specific eu rule is its own
        ClusterLoadAssignment cla = forEastA(rule("us-east", to("us-east/*", 60), to("eu-central/eu-central-a", 40)));
        assertThat(group(cla, "us-east-a").getLoadBalancingWeight().getValue()).isEqualTo(20);
        assertThat(group(cla, "us-east-b").getLoadBalancingWeight().getValue()).isEqualTo(40);
        assertThat(group(cla, "eu-central-a").getLoadBalancingWeight().getValue()).isEqualTo(40);
        assertThat(cla.getEndpointsList()).noneMatch(g -> g.getLocality().getRegion().equals("us-west"));
    }

    @Test
    void theMostSpecificTargetTakesALocalityWhicheverIsDeclaredFirst() {
        ClusterLoadAssignment cla = forEastA(rule("*", to("us-east/*", 50), to("us-east/us-east-b", 50)));
        assertThat(group(cla, "us-east-a").getLoadBalancingWeight().getValue()).isEqualTo(50);
        assertThat(group(cla, "us-east-b").getLoadBalancingWeight().getValue()).isEqualTo(50);
    }

    @Test
    void sharesRoundUpAndNeverReachZero() {
        // 1 of 3 endpoints of us-east/*'s weight 1: ceil(1 * 1 / 3) = 1
        ClusterLoadAssignment cla = forEastA(rule("us-east", to("us-east/*", 1), to("us-west", 99)));
        assertThat(group(cla, "us-east-a").getLoadBalancingWeight().getValue()).isEqualTo(1);
        assertThat(group(cla, "us-east-b").getLoadBalancingWeight().getValue()).isEqualTo(1);
        assertThat(group(cla, "us-west-a").getLoadBalancingWeight().getValue()).isEqualTo(99);
    }

    @Test
    void aProxyNoFromMatchesKeepsTheRankingByLocality() {
        ClusterLoadAssignment cla = forEastA(rule("us-west", to("us-west", 100)));
        assertThat(group(cla, "us-east-a").getPriority()).isZero();
        assertThat(group(cla, "us-east-b").getPriority()).isEqualTo(1);
        assertThat(cla.getEndpointsList()).extracting(g -> g.getLocality().getZone()).contains("us-west-a", "eu-central-a");
    }

    @Test
    void theDestinationRuleSetsItOnTheClusterWhichAsksEnvoyForLocalityWeights() {
        ConfigRegistry config = new ConfigRegistry("isthmus-system");
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(), List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v1"))));
        MeshTranslator mesh = translator(r, config);
        assertThat(Fixtures.apply(config, mesh, """
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  trafficPolicy:
                    loadBalancer:
                      localityLbSetting:
                        distribute:
                        - from: us-east/us-east-a/*
                          to: {"us-east/us-east-a/*": 25, "us-east/us-east-b/*": 75}
                """)).isNull();
        var res = mesh.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A));
        Cluster c = res.clusters().get("outbound|9080||" + REVIEWS);
        assertThat(c.getCommonLbConfig().hasLocalityWeightedLbConfig()).isTrue();
        ClusterLoadAssignment cla = res.endpoints().get("outbound|9080||" + REVIEWS);
        assertThat(group(cla, "us-east-a").getLoadBalancingWeight().getValue()).isEqualTo(25);
        assertThat(group(cla, "us-east-b").getLoadBalancingWeight().getValue()).isEqualTo(75);
        assertThat(cla.getEndpointsList()).allSatisfy(g -> assertThat(g.getPriority()).isZero());
    }

    private static LocalityLbEndpoints group(ClusterLoadAssignment cla, String zone) {
        return cla.getEndpointsList().stream().filter(g -> g.getLocality().getZone().equals(zone)).findFirst().orElseThrow();
    }

    private static List<String> addresses(LocalityLbEndpoints g) {
        return g.getLbEndpointsList().stream().map(LbEndpoint::getEndpoint)
                .map(e -> e.getAddress().getSocketAddress().getAddress() + ":" + e.getAddress().getSocketAddress().getPortValue())
                .toList();
    }
}
