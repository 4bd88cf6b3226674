package io.isthmus.gateway.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.sidecar.xds.XdsResourceException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EndpointsTranslatorTest {

    private static LbEndpoint lb(String ip, int port, HealthStatus health) {
        return LbEndpoint.newBuilder().setHealthStatus(health).setLoadBalancingWeight(UInt32Value.of(2))
                .setEndpoint(Endpoint.newBuilder().setAddress(Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)))).build();
    }

    private static ClusterLoadAssignment cla(LbEndpoint... endpoints) {
        return ClusterLoadAssignment.newBuilder().setClusterName("outbound|9080||reviews.default.svc.cluster.local")
                .addEndpoints(LocalityLbEndpoints.newBuilder().setPriority(1)
                        .setLocality(Locality.newBuilder().setRegion("west").setZone("west-b").setSubZone("s"))
                        .addAllLbEndpoints(List.of(endpoints)))
                .build();
    }

    @Test
    void keepsHealthyEndpointsWithLocalityPriorityAndWeight() {
        List<GatewayEndpoint> out = EndpointsTranslator.translate(cla(lb("10.2.0.7", 9080, HealthStatus.HEALTHY),
                lb("10.2.0.8", 9080, HealthStatus.UNHEALTHY), lb("10.2.0.9", 9080, HealthStatus.DRAINING),
                lb("fd00::1", 9080, HealthStatus.UNKNOWN)));
        assertThat(out).hasSize(2);
        assertThat(out.get(0).address().getAddress().getHostAddress()).isEqualTo("10.2.0.7");
        assertThat(out.get(0).priority()).isEqualTo(1);
        assertThat(out.get(0).weight()).isEqualTo(2);
        assertThat(out.get(0).locality()).isEqualTo(new io.isthmus.mesh.Locality("west", "west-b", "s"));
    }

    @Test
    void hostnamesAndBadPortsAreRejectedNamingTheField() {
        assertThatThrownBy(() -> EndpointsTranslator.translate(cla(lb("reviews.example", 9080, HealthStatus.HEALTHY))))
                .isInstanceOf(XdsResourceException.class)
                .hasMessageContaining("endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address")
                .hasMessageContaining("not an IP address");
        assertThatThrownBy(() -> EndpointsTranslator.translate(cla(lb("10.2.0.7", 0, HealthStatus.HEALTHY))))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("port_value");
    }

    @Test
    void prioritiesAndWeightsBeyondWhatEnvoyAcceptsAreRejectedNamingTheField() {
        ClusterLoadAssignment ok = cla(lb("10.2.0.7", 9080, HealthStatus.HEALTHY));
        ClusterLoadAssignment farPriority = ok.toBuilder().setEndpoints(0, ok.getEndpoints(0).toBuilder().setPriority(-1)).build();
        assertThatThrownBy(() -> EndpointsTranslator.translate(farPriority))
                .isInstanceOf(XdsResourceException.class)
                .hasMessageContaining("endpoints[0].priority").hasMessageContaining("4294967295");
        LbEndpoint heavy = lb("10.2.0.7", 9080, HealthStatus.HEALTHY).toBuilder().setLoadBalancingWeight(UInt32Value.of(-1)).build();
        assertThatThrownBy(() -> EndpointsTranslator.translate(cla(heavy)))
                .isInstanceOf(XdsResourceException.class)
                .hasMessageContaining("endpoints[0].lb_endpoints[0].load_balancing_weight");
    }
}
