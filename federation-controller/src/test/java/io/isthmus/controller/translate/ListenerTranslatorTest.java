package io.isthmus.controller.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListenerTranslatorTest {
    private final ListenerTranslator translator = new ListenerTranslator();

    @Test
    void outboundHttpListenerBindsTheOutboundAddressWithRdsNamedByPort() throws Exception {
        Listener l = translator.outboundHttp(9080);
        assertThat(l.getName()).isEqualTo("outbound_127.0.0.2_9080");
        assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo("127.0.0.2");
        assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(9080);
        var filter = l.getFilterChains(0).getFilters(0);
        assertThat(filter.getName()).isEqualTo("envoy.filters.network.http_connection_manager");
        HttpConnectionManager hcm = filter.getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("9080");
        assertThat(hcm.getHttpFiltersList()).extracting(f -> f.getName())
                .containsExactly("istio.metadata_exchange", "envoy.filters.http.cors", "envoy.filters.http.fault", "envoy.filters.http.router");
        assertThat(peerMetadataConfig(hcm)).as("tells the callee who calls, learns it from the response")
                .isEqualTo(io.isthmus.mesh.PeerMetadataExchange.outboundConfig());
    }

    @Test
    void inboundHttpChainsLearnTheCallerAndAnswerWithThisProxy() throws Exception {
        Listener l = translator.inbound("10.1.0.10", 9080, true, ListenerTranslator.InboundTls.STRICT, List.of());
        HttpConnectionManager hcm = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getHttpFilters(0).getName()).isEqualTo("istio.metadata_exchange");
        assertThat(peerMetadataConfig(hcm)).isEqualTo(io.isthmus.mesh.PeerMetadataExchange.inboundConfig());
    }

    /** The first HTTP filter's config: Istio's peer metadata config in a TypedStruct. */
    private static com.google.protobuf.Struct peerMetadataConfig(HttpConnectionManager hcm) throws Exception {
        var ts = hcm.getHttpFilters(0).getTypedConfig().unpack(com.github.xds.type.v3.TypedStruct.class);
        assertThat(ts.getTypeUrl()).isEqualTo("type.googleapis.com/io.istio.http.peer_metadata.Config");
        return ts.getValue();
    }

    @Test
    void outboundTcpListenerProxiesToItsCluster() throws Exception {
        Listener l = translator.outboundTcp(5432, "outbound|5432||db.default.svc.cluster.local");
        TcpProxy tcp = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
        assertThat(tcp.getCluster()).isEqualTo("outbound|5432||db.default.svc.cluster.local");
    }

    @Test
    void inboundListenerRequiresAClientCertificateAndRoutesToTheInboundCluster() throws Exception {
        Listener l = translator.inbound("10.1.0.10", 9080, true, ListenerTranslator.InboundTls.STRICT, List.of());
        assertThat(l.getName()).isEqualTo("inbound_9080");
        assertThat(l.getAddress().getSocketAddress().getAddress()).isEqualTo("10.1.0.10");
        assertThat(l.getFilterChainsList()).hasSize(1);
        DownstreamTlsContext tls = l.getFilterChains(0).getTransportSocket().getTypedConfig().unpack(DownstreamTlsContext.class);
        assertThat(tls.getRequireClientCertificate().getValue()).isTrue();
        assertThat(tls.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
        assertThat(tls.getCommonTlsContext().getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
        HttpConnectionManager hcm = l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
        assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("inbound|9080||");
    }

    @Test
    void permissiveAddsAPlaintextChainBehindTheTlsInspector() {
        Listener l = translator.inbound("10.1.0.10", 9080, false, ListenerTranslator.InboundTls.PERMISSIVE, List.of());
        assertThat(l.getListenerFiltersList()).extracting(f -> f.getName()).containsExactly("envoy.filters.listener.tls_inspector");
        assertThat(l.getFilterChainsList()).extracting(c -> c.getFilterChainMatch().getTransportProtocol()).containsExactly("tls", "raw_buffer");
    }

    @Test
    void disableServesPlaintextOnly() {
        Listener l = translator.inbound("10.1.0.10", 9080, true, ListenerTranslator.InboundTls.DISABLE, List.of());
        assertThat(l.getFilterChainsList()).singleElement().satisfies(c -> assertThat(c.hasTransportSocket()).isFalse());
    }
}
