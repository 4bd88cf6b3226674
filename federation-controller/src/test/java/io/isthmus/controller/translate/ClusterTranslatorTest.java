package io.isthmus.controller.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterTranslatorTest {
    private final ClusterTranslator translator = new ClusterTranslator();

    @Test
    void meshClusterIsEdsOverAdsWithMtlsToTheServiceIdentities() throws Exception {
        OutboundName name = new OutboundName(9080, "v1", "reviews.default.svc.cluster.local");
        Cluster c = translator.meshCluster(name, List.of("spiffe://cluster.local/ns/default/sa/reviews"));

        assertThat(c.getName()).isEqualTo("outbound|9080|v1|reviews.default.svc.cluster.local");
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
        assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
        assertThat(c.getConnectTimeout().getSeconds()).isEqualTo(1);
        assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
        assertThat(c.getOutlierDetection().getMaxEjectionPercent().getValue()).isEqualTo(100);
        assertThat(c.getOutlierDetection().hasEnforcingSuccessRate()).as("success-rate ejection off, as Istio sends it").isTrue();
        assertThat(c.getOutlierDetection().getEnforcingSuccessRate().getValue()).isZero();
        // auto mTLS per endpoint, as Istio sends it: mTLS where a sidecar runs (tlsMode: istio), plaintext elsewhere
        assertThat(c.hasTransportSocket()).as("the matches decide, per endpoint").isFalse();
        assertThat(c.getTransportSocketMatchesList()).extracting(Cluster.TransportSocketMatch::getName)
                .containsExactly("tlsMode-istio", "tlsMode-disabled");
        assertThat(c.getTransportSocketMatches(0).getMatch().getFieldsMap().get("tlsMode").getStringValue()).isEqualTo("istio");
        assertThat(c.getTransportSocketMatches(0).getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.tls");
        assertThat(c.getTransportSocketMatches(1).getMatch().getFieldsCount()).as("every other endpoint").isZero();
        assertThat(c.getTransportSocketMatches(1).getTransportSocket().getName()).isEqualTo("envoy.transport_sockets.raw_buffer");

        UpstreamTlsContext tls = Fixtures.meshTls(c);
        assertThat(tls.getSni()).isEqualTo("outbound_.9080_.v1_.reviews.default.svc.cluster.local");
        CommonTlsContext common = tls.getCommonTlsContext();
        assertThat(common.getTlsCertificateSdsSecretConfigsList()).singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("default"));
        assertThat(common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
        SubjectAltNameMatcher san = common.getCombinedValidationContext().getDefaultValidationContext().getMatchTypedSubjectAltNames(0);
        assertThat(san.getSanType()).isEqualTo(SubjectAltNameMatcher.SanType.URI);
        assertThat(san.getMatcher().getExact()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(common.getAlpnProtocolsList()).containsExactly("istio", "h2", "http/1.1");
    }

    @Test
    void inboundClusterIsStaticToTheAppOnLoopback() {
        Cluster c = translator.inboundCluster(9080);
        assertThat(c.getName()).isEqualTo("inbound|9080||");
        assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
        var sa = c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
        assertThat(sa.getAddress()).isEqualTo("127.0.0.1");
        assertThat(sa.getPortValue()).isEqualTo(9080);
    }
}
