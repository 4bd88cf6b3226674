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
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * INTERCEPTION_MODE TPROXY or REDIRECT: Istio's virtualOutbound / virtualInbound with the passthrough
 * clusters (ALLOW_ANY) or the black hole (REGISTRY_ONLY), {@code transparent} only for TPROXY;
 * without it, the listeners of capture mode NONE.
 */
class InterceptionModeTest {

    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    private MeshTranslator translator() {
        if (translator == null) {
            InMemoryRegistry r = new InMemoryRegistry();
            r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                    List.of(endpoint("10.1.1.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
            translator = Fixtures.translator(r, config);
        }
        return translator;
    }

    private void apply(String yaml) {
        assertThat(Fixtures.apply(config, translator(), yaml)).as("accepted").isNull();
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
        assertThat(vo.getFilterChainsList()).as("ALLOW_ANY (the default): other destinations pass through")
                .singleElement().satisfies(c -> assertThat(tcpCluster(c)).isEqualTo("PassthroughCluster"));

        assertThat(r.listeners()).as("named as Istio names it in capture").doesNotContainKey("outbound_127.0.0.2_9080");
        Listener out = r.listeners().get("0.0.0.0_9080");
        assertThat(out.getName()).isEqualTo(io.isthmus.mesh.XdsNames.anyAddressListener(9080));
        assertThat(out.getAddress().getSocketAddress().getAddress()).isEqualTo("0.0.0.0");
        assertThat(out.getAddress().getSocketAddress().getPortValue()).isEqualTo(9080);
        assertThat(out.getBindToPort().getValue()).isFalse();
        assertThat(out.getFilterChains(0).getFilters(0).getTypedConfig().unpack(
                io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.class))
                .satisfies(h -> {
                    assertThat(h.getStatPrefix()).isEqualTo("outbound_0.0.0.0_9080");
                    assertThat(h.getRds().getRouteConfigName()).isEqualTo("9080");
                });

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
        assertThat(last.getName()).isEqualTo("InboundPassthroughClusterIpv4_mtls");
        assertThat(last.getFilterChainMatch().hasDestinationPort()).isFalse();
        assertThat(last.getFilterChainMatch().getPrefixRangesList()).singleElement().satisfies(p -> {
            assertThat(p.getAddressPrefix()).isEqualTo("0.0.0.0");
            assertThat(p.getPrefixLen().getValue()).isZero();
        });
        assertThat(last.hasTransportSocket()).as("STRICT: the passthrough needs mTLS too, as in Istio").isTrue();
        assertThat(tcpCluster(last)).isEqualTo("InboundPassthroughClusterIpv4");

        Cluster bh = r.clusters().get("BlackHoleCluster");
        assertThat(bh.getType()).isEqualTo(Cluster.DiscoveryType.STATIC);
        assertThat(bh.getLoadAssignment().getEndpointsCount()).isZero();
        assertThat(r.clusters()).containsKey("inbound|9080||");
        Cluster pt = r.clusters().get("PassthroughCluster");
        assertThat(pt.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
        assertThat(pt.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
        assertThat(pt.hasUpstreamBindConfig()).isFalse();
        assertThat(pt.hasLoadAssignment()).isFalse();
        Cluster in = r.clusters().get("InboundPassthroughClusterIpv4");
        assertThat(in.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
        assertThat(in.getLbPolicy()).isEqualTo(Cluster.LbPolicy.CLUSTER_PROVIDED);
        assertThat(in.getUpstreamBindConfig().getSourceAddress().getAddress()).isEqualTo("127.0.0.6");

        RouteConfiguration rc = r.routes().get("9080");
        VirtualHost allowAny = rc.getVirtualHosts(rc.getVirtualHostsCount() - 1);
        assertThat(allowAny.getName()).isEqualTo("allow_any");
        assertThat(allowAny.getDomainsList()).containsExactly("*");
        assertThat(allowAny.getRoutesList()).singleElement().satisfies(route -> {
            assertThat(route.getMatch().getPrefix()).isEqualTo("/");
            assertThat(route.getRoute().getCluster()).isEqualTo("PassthroughCluster");
            assertThat(route.getRoute().getTimeout().getSeconds()).isZero();
        });
        assertThat(translator().resourcesFor(ProxyView.fromNode(pod(null))).routes().get("9080").getVirtualHostsList())
                .as("capture mode NONE keeps no catch-all (the shared outbound translation is not changed)")
                .noneMatch(vh -> vh.getName().equals("allow_any"));
    }

    @Test
    void registryOnlyRefusesOtherDestinationsAndSendsNoAllowAny() {
        apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: istio, namespace: isthmus-system}
                data:
                  mesh: |
                    outboundTrafficPolicy:
                      mode: REGISTRY_ONLY
                """);
        ProxyResources r = translator().resourcesFor(ProxyView.fromNode(pod("TPROXY")));
        assertThat(r.listeners().get("virtualOutbound").getFilterChainsList())
                .singleElement().satisfies(c -> assertThat(tcpCluster(c)).isEqualTo("BlackHoleCluster"));
        RouteConfiguration rc = r.routes().get("9080");
        assertThat(rc.getVirtualHosts(rc.getVirtualHostsCount() - 1).getName()).isEqualTo("block_all");
        assertThat(rc.getVirtualHostsList()).noneMatch(vh -> vh.getName().equals("allow_any"));
        assertThat(tcpCluster(last(r.listeners().get("virtualInbound"))))
                .as("inbound passthrough does not depend on the outbound policy").isEqualTo("InboundPassthroughClusterIpv4");
        assertThat(r.clusters()).containsKeys("BlackHoleCluster", "PassthroughCluster", "InboundPassthroughClusterIpv4");
    }

    @Test
    void permissiveInboundPassesThroughTlsAndPlaintext() {
        apply("""
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: default, namespace: default}
                spec:
                  mtls: {mode: PERMISSIVE}
                """);
        Listener vi = translator().resourcesFor(ProxyView.fromNode(pod("TPROXY"))).listeners().get("virtualInbound");
        List<FilterChain> passthrough = vi.getFilterChainsList().stream()
                .filter(c -> c.getName().startsWith("InboundPassthroughClusterIpv4")).toList();
        assertThat(passthrough).extracting(FilterChain::getName)
                .containsExactly("InboundPassthroughClusterIpv4_mtls", "InboundPassthroughClusterIpv4_plaintext");
        assertThat(passthrough.get(0).getFilterChainMatch().getTransportProtocol()).isEqualTo("tls");
        assertThat(passthrough.get(0).hasTransportSocket()).isTrue();
        assertThat(passthrough.get(1).getFilterChainMatch().getTransportProtocol()).isEqualTo("raw_buffer");
        assertThat(passthrough.get(1).hasTransportSocket()).isFalse();
        assertThat(vi.getListenerFiltersList()).extracting(f -> f.getName()).contains("envoy.filters.listener.tls_inspector");
    }

    private static FilterChain last(Listener l) {
        return l.getFilterChains(l.getFilterChainsCount() - 1);
    }

    @Test
    void interceptionModesAreParsedAnyCase() {
        assertThat(ProxyView.fromNode(pod("REDIRECT")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.REDIRECT);
        assertThat(ProxyView.fromNode(pod("redirect")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.REDIRECT);
        assertThat(ProxyView.fromNode(pod("tproxy")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.TPROXY);
        assertThat(ProxyView.fromNode(pod("NONE")).interceptionMode()).isEqualTo(ProxyView.InterceptionMode.NONE);
    }

    /**
     * A dual-stack pod (INSTANCE_IPS of both families): the virtual listeners also take {@code [::]}
     * and virtualInbound ends with IPv6 passthrough chains to InboundPassthroughClusterIpv6 (source ::6).
     */
    @Test
    void dualStackPodsGetTheIpv6WildcardAndIpv6Passthrough() {
        Node n = pod("REDIRECT");
        Node dual = n.toBuilder().setMetadata(n.getMetadata().toBuilder().putFields(ProxyMetadata.INSTANCE_IPS,
                Value.newBuilder().setStringValue("10.1.1.1,fd00:1::1").build())).build();
        ProxyResources r = translator().resourcesFor(ProxyView.fromNode(dual));
        Listener vo = r.listeners().get("virtualOutbound");
        Listener vi = r.listeners().get("virtualInbound");
        assertThat(vo.getAdditionalAddressesList()).singleElement().satisfies(a -> {
            assertThat(a.getAddress().getSocketAddress().getAddress()).isEqualTo("::");
            assertThat(a.getAddress().getSocketAddress().getPortValue()).isEqualTo(15001);
        });
        assertThat(vi.getAdditionalAddressesList()).singleElement()
                .satisfies(a -> assertThat(a.getAddress().getSocketAddress().getPortValue()).isEqualTo(15006));
        FilterChain last = last(vi);
        assertThat(last.getName()).isEqualTo("InboundPassthroughClusterIpv6_mtls");
        assertThat(last.getFilterChainMatch().getPrefixRangesList()).singleElement()
                .satisfies(p -> assertThat(p.getAddressPrefix()).isEqualTo("::"));
        assertThat(tcpCluster(last)).isEqualTo("InboundPassthroughClusterIpv6");
        Cluster in6 = r.clusters().get("InboundPassthroughClusterIpv6");
        assertThat(in6.getType()).isEqualTo(Cluster.DiscoveryType.ORIGINAL_DST);
        assertThat(in6.getUpstreamBindConfig().getSourceAddress().getAddress()).isEqualTo("::6");
        ProxyResources v4 = translator().resourcesFor(ProxyView.fromNode(pod("REDIRECT")));
        assertThat(v4.listeners().get("virtualOutbound").getAdditionalAddressesCount()).as("IPv4-only pods: no [::]").isZero();
        assertThat(v4.clusters()).doesNotContainKey("InboundPassthroughClusterIpv6");
    }

    /** Istio sends REDIRECT pods the TPROXY shapes without {@code transparent}; the inbound passthrough keeps 127.0.0.6. */
    @Test
    void redirectSendsTheSameShapesWithoutTransparent() {
        ProxyResources redirect = translator().resourcesFor(ProxyView.fromNode(pod("REDIRECT")));
        ProxyResources tproxy = translator().resourcesFor(ProxyView.fromNode(pod("TPROXY")));
        Listener vo = redirect.listeners().get("virtualOutbound");
        Listener vi = redirect.listeners().get("virtualInbound");
        assertThat(vo.getUseOriginalDst().getValue()).isTrue();
        assertThat(vo.hasTransparent()).isFalse();
        assertThat(vi.hasTransparent()).isFalse();
        assertThat(vi.getListenerFiltersList()).extracting(f -> f.getName()).contains("envoy.filters.listener.original_dst");
        assertThat(vo).isEqualTo(tproxy.listeners().get("virtualOutbound").toBuilder().clearTransparent().build());
        assertThat(vi).isEqualTo(tproxy.listeners().get("virtualInbound").toBuilder().clearTransparent().build());
        assertThat(redirect.listeners().keySet()).isEqualTo(tproxy.listeners().keySet());
        assertThat(redirect.listeners().get("0.0.0.0_9080").getBindToPort().getValue()).isFalse();
        assertThat(redirect.clusters()).isEqualTo(tproxy.clusters());
        assertThat(redirect.clusters().get("InboundPassthroughClusterIpv4").getUpstreamBindConfig().getSourceAddress().getAddress())
                .isEqualTo("127.0.0.6");
        assertThat(redirect.routes()).isEqualTo(tproxy.routes());
    }

    private static String tcpCluster(FilterChain c) {
        try {
            return c.getFilters(0).getTypedConfig().unpack(TcpProxy.class).getCluster();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
