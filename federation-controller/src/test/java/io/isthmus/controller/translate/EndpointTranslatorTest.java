package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.controller.config.TrafficPolicy;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EndpointTranslatorTest {
    private final EndpointTranslator translator = new EndpointTranslator();
    private final OutboundName name = OutboundName.of(REVIEWS, 9080);
    private final Map<String, NetworkGateway> gateways = Map.of(
            "net-west", new NetworkGateway("net-west", "west", "10.255.0.2", 15443),
            "net-east", new NetworkGateway("net-east", "east", "10.255.0.1", 15443));

    private FederatedService scene() {
        return reviews(List.of(
                endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.11", "east", "net-east", EAST_B, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.12", "east", "net-east", EAST_B, EndpointHealth.UNHEALTHY, "v1"),
                endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.2.0.11", "west", "net-west", WEST_A, EndpointHealth.STALE, "v2")));
    }

    @Test
    void sameNetworkDirectOtherNetworkThroughItsGatewayWeightedByHealthyCount() {
        ClusterLoadAssignment cla = translator.forProxy(name, scene(), HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), gateways::get);

        assertThat(cla.getClusterName()).isEqualTo("outbound|9080||" + REVIEWS);
        assertThat(cla.getEndpointsList()).hasSize(3);
        LocalityLbEndpoints zoneA = group(cla, "us-east-a");
        assertThat(zoneA.getPriority()).isZero();
        assertThat(addresses(zoneA)).containsExactly("10.1.0.10:9080");
        LocalityLbEndpoints zoneB = group(cla, "us-east-b");
        assertThat(zoneB.getPriority()).isEqualTo(1);
        assertThat(addresses(zoneB)).containsExactly("10.1.0.11:9080"); // the unhealthy one is left out
        LocalityLbEndpoints west = group(cla, "us-west-a");
        assertThat(west.getPriority()).isEqualTo(2);
        assertThat(addresses(west)).containsExactly("10.255.0.2:15443");
        assertThat(west.getLbEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(2);
        assertThat(west.getLoadBalancingWeight().getValue()).isEqualTo(2);
    }

    @Test
    void prioritiesAreCompressedSoTheNearestPresentIsZero() {
        FederatedService onlyRemote = reviews(List.of(
                endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1")));
        ClusterLoadAssignment cla = translator.forProxy(name, onlyRemote, HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), gateways::get);
        assertThat(cla.getEndpointsList()).singleElement().satisfies(g -> assertThat(g.getPriority()).isZero());
    }

    @Test
    void aNetworkWithoutGatewayIsLeftOutAndSubsetsSelectByLabels() {
        ClusterLoadAssignment noGw = translator.forProxy(name, scene(), HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), n -> null);
        assertThat(noGw.getEndpointsList()).extracting(g -> g.getLocality().getZone()).containsExactly("us-east-a", "us-east-b");

        ClusterLoadAssignment v2 = translator.forProxy(OutboundName.of(REVIEWS, 9080), scene(), HTTP_9080,
                Map.of("version", "v2"), sidecar("10.2.0.5", "west", "net-west", WEST_A), gateways::get);
        assertThat(v2.getEndpointsList()).singleElement().satisfies(g -> assertThat(addresses(g)).containsExactly("10.2.0.11:9080"));
    }

    @Test
    void gatewaysSeeOnlyTheirNetworksEndpointsDirectly() {
        ProxyView gw = ProxyView.fromNode(node("router", "10.255.0.2", "eastwest-0", "west", "net-west", WEST_A,
                io.isthmus.mesh.ProxyMetadata.REQUESTED_NETWORK_VIEW, "net-west"));
        ClusterLoadAssignment cla = translator.forGateway(name, scene(), HTTP_9080, Map.of(), gw);
        assertThat(cla.getEndpointsList()).singleElement()
                .satisfies(g -> assertThat(addresses(g)).containsExactly("10.2.0.10:9080", "10.2.0.11:9080"));
    }

    @Test
    void localityLbSettingCanDisablePrioritiesOrRankByFailoverPriorityLabels() {
        var disabled = Optional.of(new TrafficPolicy.LocalityLb(false, List.of(), List.of()));
        ClusterLoadAssignment flat = translator.forProxy(name, scene(), HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), gateways::get, disabled);
        assertThat(flat.getEndpointsList()).allSatisfy(g -> assertThat(g.getPriority()).isZero());

        // network first: the other zone of the own network stays ahead; same zone shares priority 0
        var byNetwork = Optional.of(new TrafficPolicy.LocalityLb(true, List.of(),
                List.of("topology.istio.io/network", "topology.kubernetes.io/zone")));
        ClusterLoadAssignment ranked = translator.forProxy(name, scene(), HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), gateways::get, byNetwork);
        assertThat(group(ranked, "us-east-a").getPriority()).isZero();
        assertThat(group(ranked, "us-east-b").getPriority()).isEqualTo(1);
        assertThat(group(ranked, "us-west-a").getPriority()).isEqualTo(2);
    }

    @Test
    void failoverNamesTheNextRegion() {
        FederatedService three = reviews(List.of(
                endpoint("10.2.0.10", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.99", "east", "net-east", io.isthmus.mesh.Locality.of("eu-central", "eu-central-a"),
                        EndpointHealth.HEALTHY, "v1")));
        var failover = Optional.of(new TrafficPolicy.LocalityLb(true,
                List.of(new TrafficPolicy.Failover("us-east", "eu-central")), List.of()));
        ClusterLoadAssignment cla = translator.forProxy(name, three, HTTP_9080, Map.of(),
                sidecar("10.1.0.5", "east", "net-east", EAST_A), gateways::get, failover);
        assertThat(group(cla, "eu-central-a").getPriority()).isZero();
        assertThat(group(cla, "us-west-a").getPriority()).isEqualTo(1);
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
