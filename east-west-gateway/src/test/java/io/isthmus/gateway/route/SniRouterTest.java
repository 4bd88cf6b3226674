package io.isthmus.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.RefusalReason;
import io.isthmus.mesh.OutboundName;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SniRouterTest {

    private static final OutboundName V1 = new OutboundName(9080, "v1", "reviews.default.svc.cluster.local");
    private static final GatewayEndpoint POD = GatewayEndpoint.of(new InetSocketAddress("10.2.0.7", 9080));

    private final SniRouter router = new SniRouter(PassthroughTable.of(Map.of(V1.clusterName(), List.of(POD))),
            Map.of("isthmus-controller.isthmus-system.svc", new InetSocketAddress("10.2.0.1", 15012)));

    private RefusalReason refused(String sni) {
        return ((RouteDecision.Refuse) router.route(sni)).reason();
    }

    @Test
    void meshNameOfAKnownSubsetPasses() {
        RouteDecision.Pass pass = (RouteDecision.Pass) router.route(V1.sni());
        assertThat(pass.clusterName()).isEqualTo("outbound|9080|v1|reviews.default.svc.cluster.local");
        assertThat(pass.destinationService()).isEqualTo("reviews.default.svc.cluster.local");
        assertThat(pass.endpoints()).containsExactly(POD);
    }

    @Test
    void fixedRoutePasses() {
        RouteDecision.Pass pass = (RouteDecision.Pass) router.route("isthmus-controller.isthmus-system.svc");
        assertThat(pass.endpoints()).extracting(GatewayEndpoint::address).containsExactly(new InetSocketAddress("10.2.0.1", 15012));
    }

    @Test
    void everythingElseIsRefused() {
        assertThat(refused(V1.withoutSubset().sni())).isEqualTo(RefusalReason.UNKNOWN_SERVICE);
        assertThat(refused("outbound_.99999_.v1_.reviews.default.svc.cluster.local")).isEqualTo(RefusalReason.SNI_NOT_MESH);
        assertThat(refused("outbound_.9080_.v1")).isEqualTo(RefusalReason.SNI_NOT_MESH);
        assertThat(refused("reviews.default.svc.cluster.local")).isEqualTo(RefusalReason.SNI_NOT_MESH);
        assertThat(refused("10.2.0.7")).isEqualTo(RefusalReason.SNI_IP_ADDRESS);
        assertThat(refused("isthmus-controller.isthmus-system")).isEqualTo(RefusalReason.SNI_NOT_MESH);
    }
}
