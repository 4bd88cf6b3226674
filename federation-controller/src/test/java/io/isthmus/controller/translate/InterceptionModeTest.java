package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** INTERCEPTION_MODE TPROXY: Istio's virtualOutbound / virtualInbound; without it, the listeners of capture mode NONE. */
class InterceptionModeTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    private static MeshTranslator translator() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.1.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        return new MeshTranslator(r, "cluster.local", () -> ROOT);
    }

    private static Node pod(String mode) {
        Node n = node("sidecar", "10.1.1.1", "reviews-v1-0", "east", "net-east", EAST_A, null, null);
        if (mode == null) {
            return n;
        }
        return n.toBuilder().setMetadata(n.getMetadata().toBuilder()
                .putFields(ProxyMetadata.INTERCEPTION_MODE, Value.newBuilder().setStringValue(mode).build())).build();
    }

    @Test
    void withoutTheKeyOrWithNoneTheListenersAreThoseOfCaptureModeNone() {
        MeshTranslator t = translator();
        ProxyResources plain = t.resourcesFor(ProxyView.fromNode(pod(null)));
        ProxyResources none = t.resourcesFor(ProxyView.fromNode(pod("NONE")));
        assertThat(none.listeners()).isEqualTo(plain.listeners());
        assertThat(none.clusters()).isEqualTo(plain.clusters());
        assertThat(plain.listeners()).containsKeys("outbound_127.0.0.2_9080", "inbound_9080")
                .doesNotContainKeys("virtualOutbound", "virtualInbound");
        assertThat(plain.listeners().get("outbound_127.0.0.2_9080").hasBindToPort()).isFalse();
    }

    @Test
    void tproxySendsTheVirtualListenersInIstiosShapes() throws Exception {
        ProxyResources r = translator().resourcesFor(ProxyView.fromNode(pod("TPROXY")));

        Listener vo = r.listeners().get("virtualOutbound");
        assertThat(vo.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(vo.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
        assertThat(vo.getUseOriginalDst().getValue()).isTrue();
        assertThat(vo.getTransparent().getValue()).isTrue();
        assertThat(vo.getTrafficDirection()).isEqualTo(TrafficDirection.OUTBOUND);
        assertThat(vo.getFilterChainsList()).singleElement().satisfies(c -> assertThat(tcpCluster(c)).isEqualTo("BlackHoleCluster"));

        Listener out = r.listeners().get("outbound_127.0.0.2_9080");
        assertThat(out.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(out.getAddress().getSocketAddress().getPortValue()).isEqualTo(9080);
        assertThat(out.getBindToPort().getValue()).isFalse();

        assertThat(r.listeners()).doesNotContainKey("inbound_9080");
        Listener vi = r.listeners().get("virtualInbound");
        assertThat(vi.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006);
        assertThat(vi.getTransparent().getValue()).isTrue();
        assertThat(vi.hasUseOriginalDst()).isFalse();
        assertThat(vi.getTrafficDirection()).isEqualTo(TrafficDirection.INBOUND);
        assertThat(vi.getListenerFiltersList()).extracting(f -> f.getName()).contains("envoy.filters.listener.original_dst");
        FilterChain mtls = vi.getFilterChains(0);
        assertThat(mtls.getName()).isEqualTo("inbound_9080_mtls");
        assertThat(mtls.getFilterChainMatch().getDestinationPort().getValue()).isEqualTo(9080);
        assertThat(mtls.hasTransportSocket()).as("STRICT mTLS as on the per-port listener").isTrue();
        FilterChain last = vi.getFilterChains(vi.getFilterChainsCount() - 1);
        assertThat(last.hasFilterChainMatch()).isFalse();
        assertThat(tcpCluster(last)).isEqualTo("BlackHoleCluster");

        Cluster bh = r.clusters().get("BlackHoleCluster");
        assertThat(bh.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
        assertThat(bh.getLoadAssignment().getEndpointsCount()).isZero();
        assertThat(r.clusters()).containsKey("inbound|9080||");
    }

    @Test
    void redirectIsNotATproxyPod() {
        assertThat(ProxyView.fromNode(pod("REDIRECT")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.NONE);
        assertThat(ProxyView.fromNode(pod("tproxy")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.TPROXY);
    }

    private static String tcpCluster(FilterChain c) {
        try {
            return c.getFilters(0).getTypedConfig().unpack(TcpProxy.class).getCluster();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
