package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.sidecar.errors.InvalidResourceException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The capture fields of LDS listeners: use_original_dst, transparent, bind_to_port, destination_port and prefix_ranges. */
class CaptureListenerTranslatorTest {

    private static Address at(String ip, int port) {
        return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
    }

    private static FilterChain.Builder tcp(String name, String cluster) {
        return FilterChain.newBuilder().setName(name).addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())));
    }

    @Test
    void istiosVirtualListenersAndAnUnboundOutboundListener() throws Exception {
        ListenerConfig vo = ListenerTranslator.translate(Listener.newBuilder().setName("virtualOutbound").setAddress(at("0.0.0.0", 15001))
                .setUseOriginalDst(BoolValue.of(true)).setTransparent(BoolValue.of(true))
                .addFilterChains(tcp("BlackHoleCluster", "BlackHoleCluster")).build()).orElseThrow();
        assertThat(vo.binding()).isEqualTo(ListenerConfig.Binding.ORIGINAL_DST);
        assertThat(vo.serving()).isEqualTo(ListenerConfig.Serving.BY_SERVER_NAME);

        ListenerConfig out = ListenerTranslator.translate(Listener.newBuilder().setName("0.0.0.0_9080").setAddress(at("0.0.0.0", 9080))
                .setBindToPort(BoolValue.of(false)).addFilterChains(tcp("c", "outbound|9080||a")).build()).orElseThrow();
        assertThat(out.binding()).isEqualTo(ListenerConfig.Binding.NOT_BOUND);
        assertThat(out.sameSocket(new ListenerConfig(out.name(), out.address(), out.direction(), out.chains(), out.serving())))
                .as("a change of binding rebinds").isFalse();

        ListenerConfig vi = ListenerTranslator.translate(Listener.newBuilder().setName("virtualInbound").setAddress(at("0.0.0.0", 15006))
                .setTransparent(BoolValue.of(true))
                .addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.original_dst")
                        .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance())))
                .addFilterChains(tcp("inbound_8080_mtls", "inbound|8080||").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(8080)).setTransportProtocol("tls")))
                .addFilterChains(tcp("inbound_8080_plaintext", "inbound|8080||").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(8080)).setTransportProtocol("raw_buffer")))
                .addFilterChains(tcp("inbound_9090", "inbound|9090||").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(9090))))
                .addFilterChains(tcp("lan", "lan").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .addPrefixRanges(CidrRange.newBuilder().setAddressPrefix("10.211.0.0").setPrefixLen(UInt32Value.of(16)))))
                .addFilterChains(tcp("BlackHoleCluster", "BlackHoleCluster"))
                .build()).orElseThrow();
        assertThat(vi.binding()).isEqualTo(ListenerConfig.Binding.TRANSPARENT);
        assertThat(vi.interception()).isEqualTo(ListenerConfig.Interception.TPROXY);
        InetAddress pod = InetAddress.getByName("10.211.0.2");
        assertThat(ChainSelector.select(vi.chains(), pod, 8080, null, true).orElseThrow().name()).isEqualTo("inbound_8080_mtls");
        assertThat(ChainSelector.select(vi.chains(), pod, 8080, null, false).orElseThrow().name()).isEqualTo("inbound_8080_plaintext");
        assertThat(ChainSelector.select(vi.chains(), pod, 9090, null, true).orElseThrow().name()).isEqualTo("inbound_9090");
        assertThat(ChainSelector.select(vi.chains(), pod, 7070, null, false).orElseThrow().name())
                .as("no chain for the port: the address ranges decide").isEqualTo("lan");
        assertThat(ChainSelector.select(vi.chains(), InetAddress.getByName("10.9.0.1"), 7070, null, false).orElseThrow().name())
                .isEqualTo("BlackHoleCluster");
    }

    @Test
    void istiosRedirectShapesMakeOrdinaryCaptureSockets() throws Exception {
        ListenerConfig vo = ListenerTranslator.translate(Listener.newBuilder().setName("virtualOutbound").setAddress(at("0.0.0.0", 15001))
                .setUseOriginalDst(BoolValue.of(true)).addFilterChains(tcp("PassthroughCluster", "PassthroughCluster")).build()).orElseThrow();
        assertThat(vo.binding()).isEqualTo(ListenerConfig.Binding.ORIGINAL_DST);
        assertThat(vo.interception()).as("no transparent: REDIRECT, original destination by SO_ORIGINAL_DST")
                .isEqualTo(ListenerConfig.Interception.REDIRECT);
        ListenerConfig vi = ListenerTranslator.translate(Listener.newBuilder().setName("virtualInbound").setAddress(at("0.0.0.0", 15006))
                .addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.original_dst")
                        .setTypedConfig(Any.pack(OriginalDst.getDefaultInstance())))
                .addFilterChains(tcp("inbound_8080", "inbound|8080||").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .setDestinationPort(UInt32Value.of(8080))))
                .build()).orElseThrow();
        assertThat(vi.binding()).as("the original_dst listener filter makes a capture socket").isEqualTo(ListenerConfig.Binding.TRANSPARENT);
        assertThat(vi.interception()).isEqualTo(ListenerConfig.Interception.REDIRECT);
        ListenerConfig plain = ListenerTranslator.translate(Listener.newBuilder().setName("p").setAddress(at("0.0.0.0", 8080))
                .addFilterChains(tcp("a", "a")).build()).orElseThrow();
        assertThat(plain.interception()).isEqualTo(ListenerConfig.Interception.NONE);
        assertThat(vi.sameSocket(new ListenerConfig(vi.name(), vi.address(), vi.direction(), vi.chains(), vi.serving(),
                vi.binding(), ListenerConfig.Interception.TPROXY))).as("a change of interception rebinds").isFalse();
    }

    @Test
    void dualStackCaptureListenersBindOneSocketOnTheIpv6Wildcard() throws Exception {
        ListenerConfig vo = ListenerTranslator.translate(Listener.newBuilder().setName("virtualOutbound").setAddress(at("0.0.0.0", 15001))
                .addAdditionalAddresses(io.envoyproxy.envoy.config.listener.v3.AdditionalAddress.newBuilder().setAddress(at("::", 15001)))
                .setUseOriginalDst(BoolValue.of(true)).addFilterChains(tcp("PassthroughCluster", "PassthroughCluster")).build()).orElseThrow();
        assertThat(vo.address().host()).isEqualTo("::");
        assertThat(vo.address().port()).isEqualTo(15001);
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 15001))
                .addAdditionalAddresses(io.envoyproxy.envoy.config.listener.v3.AdditionalAddress.newBuilder().setAddress(at("::", 15002)))
                .setUseOriginalDst(BoolValue.of(true)).addFilterChains(tcp("a", "a")).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("additional_addresses[0]");
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 8080))
                .addAdditionalAddresses(io.envoyproxy.envoy.config.listener.v3.AdditionalAddress.newBuilder().setAddress(at("::", 8080)))
                .addFilterChains(tcp("a", "a")).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("additional_addresses")
                .hasMessageContaining("only a capture listener");
    }

    @Test
    void whatCannotBeHonouredIsRefusedNamingTheField() {
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 15001))
                .setBindToPort(BoolValue.of(false)).setUseOriginalDst(BoolValue.of(true)).addFilterChains(tcp("a", "a")).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("bind_to_port");
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 15006))
                .setTransparent(BoolValue.of(true)).addFilterChains(tcp("a", "a").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .addSourcePorts(1234))).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("filter_chains[0].filter_chain_match");
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 15006))
                .setTransparent(BoolValue.of(true)).addFilterChains(tcp("a", "a").setFilterChainMatch(FilterChainMatch.newBuilder()
                        .addPrefixRanges(CidrRange.newBuilder().setAddressPrefix("example.com")))).build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("prefix_ranges[0]");
        assertThatThrownBy(() -> ListenerTranslator.translate(Listener.newBuilder().setName("x").setAddress(at("0.0.0.0", 15006))
                .setTransparent(BoolValue.of(true))
                .addFilterChains(tcp("a", "a").setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(80))))
                .addFilterChains(tcp("b", "b").setFilterChainMatch(FilterChainMatch.newBuilder().setDestinationPort(UInt32Value.of(80))))
                .build()))
                .isInstanceOf(InvalidResourceException.class).hasMessageContaining("same match");
    }
}
