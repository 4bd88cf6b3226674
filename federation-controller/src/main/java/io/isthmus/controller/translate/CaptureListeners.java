package io.isthmus.controller.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.AdditionalAddress;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.mesh.XdsNames;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * LDS of a sidecar in REDIRECT or TPROXY interception mode, Istio's shapes: {@code virtualOutbound} on
 * {@code 0.0.0.0:15001} ({@code use_original_dst}; {@code transparent} in TPROXY mode only) hands each captured
 * connection to the outbound listener of its destination port, now {@code 0.0.0.0:P} with
 * {@code bind_to_port: false} and named {@code 0.0.0.0_P} as in Istio, and sends other destinations to {@code PassthroughCluster}
 * (ORIGINAL_DST: where the app meant to go) under outbound policy ALLOW_ANY, or refuses them
 * ({@code BlackHoleCluster}) under REGISTRY_ONLY; under ALLOW_ANY every outbound route
 * configuration also ends with the virtual host {@code allow_any} to {@code PassthroughCluster}
 * (REGISTRY_ONLY already ends with {@code block_all}). {@code virtualInbound} on
 * {@code 0.0.0.0:15006} (the {@code original_dst} listener filter; {@code transparent} in TPROXY mode
 * only) carries the inbound listeners' chains, each matched on
 * {@code destination_port} = its target port, which replace the per-port inbound listeners, then
 * chains for every other IPv4 destination to {@code InboundPassthroughClusterIpv4} (ORIGINAL_DST,
 * bound to {@code 127.0.0.6}) with the pod's workload-level mTLS mode, so a port the pod listens on
 * without a Service is reached as in Istio.
 */
final class CaptureListeners {

    /** Istio's name of the outbound capture listener. */
    static final String VIRTUAL_OUTBOUND = "virtualOutbound";
    /** Istio's name of the inbound capture listener. */
    static final String VIRTUAL_INBOUND = "virtualInbound";
    /** Istio's cluster that refuses connections. */
    static final String BLACK_HOLE = "BlackHoleCluster";
    /** Istio's ORIGINAL_DST cluster of outbound destinations no listener takes (ALLOW_ANY). */
    static final String PASSTHROUGH = "PassthroughCluster";
    /** Istio's ORIGINAL_DST cluster of inbound IPv4 destinations no inbound listener takes. */
    static final String INBOUND_PASSTHROUGH = "InboundPassthroughClusterIpv4";
    /** The source address of inbound passthrough connections (Istio's), so the app sees them as the proxy's. */
    static final String INBOUND_PASSTHROUGH_SOURCE = "127.0.0.6";
    /** Istio's ORIGINAL_DST cluster of inbound IPv6 destinations no inbound listener takes (dual-stack pods). */
    static final String INBOUND_PASSTHROUGH_IPV6 = "InboundPassthroughClusterIpv6";
    /** The IPv6 source address of inbound passthrough connections (Istio's; {@code isthmus iptables --ipv6} adds it to lo). */
    static final String INBOUND_PASSTHROUGH_SOURCE_IPV6 = "::6";
    /** Istio's catch-all virtual host of ALLOW_ANY route configurations in capture mode. */
    static final String ALLOW_ANY = "allow_any";
    /** Outbound capture port. */
    static final int OUTBOUND_PORT = 15001;
    /** Inbound capture port. */
    static final int INBOUND_PORT = 15006;
    private static final String ORIGINAL_DST = "envoy.filters.listener.original_dst";

    private CaptureListeners() {
    }

    /**
     * Reshapes a sidecar's listeners for capture in place and adds the passthrough and black-hole
     * clusters (and, under ALLOW_ANY, the {@link #ALLOW_ANY} virtual host). Istio sends the same
     * shapes in both modes but for {@code transparent: true} on both virtual listeners in TPROXY mode;
     * the inbound passthrough cluster is bound to {@code 127.0.0.6} in both (the REDIRECT rules
     * exempt that source on {@code lo}).
     *
     * @param mode REDIRECT or TPROXY
     * @param podIps the pod's addresses; with both an IPv4 and an IPv6 one the pod is dual stack, and
     *     (as Istio) both virtual listeners also take {@code [::]} ({@code additional_addresses}) and
     *     virtualInbound gets IPv6 passthrough chains ({@code ::/0}) to {@link #INBOUND_PASSTHROUGH_IPV6},
     *     bound to {@code ::6}
     * @param routes the outbound route configurations; under ALLOW_ANY each gets {@link #ALLOW_ANY}
     * @param registryOnly whether the proxy's outbound traffic policy is REGISTRY_ONLY
     * @param passthroughTls the pod's workload-level inbound mTLS, for the inbound passthrough chains
     */
    static void apply(ProxyView.InterceptionMode mode, List<String> podIps, Map<String, Listener> listeners,
                      Map<String, Cluster> clusters, Map<String, RouteConfiguration> routes, boolean registryOnly,
                      ListenerTranslator.InboundTls passthroughTls) {
        boolean dualStack = podIps.stream().anyMatch(ip -> ip.indexOf(':') >= 0) && podIps.stream().anyMatch(ip -> ip.indexOf(':') < 0);
        if (mode == ProxyView.InterceptionMode.NONE) {
            throw new IllegalArgumentException("capture listeners need interception mode REDIRECT or TPROXY");
        }
        List<FilterChain> inboundChains = new ArrayList<>();
        boolean inspect = passthroughTls == ListenerTranslator.InboundTls.PERMISSIVE;
        List<Listener> renamed = new ArrayList<>();
        Iterator<Map.Entry<String, Listener>> it = listeners.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Listener> e = it.next();
            Listener l = e.getValue();
            if (l.hasApiListener() || !l.hasAddress() || !l.getAddress().hasSocketAddress()
                    || (l.hasBindToPort() && !l.getBindToPort().getValue())) {
                continue; // not a bound listener: already one the capture listener hands connections to (<vip>_<port>)
            }
            int port = l.getAddress().getSocketAddress().getPortValue();
            if (l.getTrafficDirection() == TrafficDirection.OUTBOUND) {
                renamed.add(wildcard(l, port));
                it.remove();
            } else if (l.getTrafficDirection() == TrafficDirection.INBOUND) {
                for (FilterChain c : l.getFilterChainsList()) {
                    inboundChains.add(c.toBuilder()
                            .setName(l.getName() + (c.getName().isEmpty() ? "" : "_" + c.getName()))
                            .setFilterChainMatch(c.getFilterChainMatch().toBuilder().setDestinationPort(UInt32Value.of(port)))
                            .build());
                    inspect |= !c.getFilterChainMatch().getTransportProtocol().isEmpty();
                }
                it.remove();
            }
        }
        Listener.Builder outbound = Listener.newBuilder()
                .setName(VIRTUAL_OUTBOUND)
                .setAddress(Envoy.address("0.0.0.0", OUTBOUND_PORT))
                .setUseOriginalDst(BoolValue.of(true))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(tcpChain(registryOnly ? BLACK_HOLE : PASSTHROUGH));
        Listener.Builder inbound = Listener.newBuilder()
                .setName(VIRTUAL_INBOUND)
                .setAddress(Envoy.address("0.0.0.0", INBOUND_PORT))
                .setTrafficDirection(TrafficDirection.INBOUND)
                .addListenerFilters(ListenerFilter.newBuilder().setName(ORIGINAL_DST)
                        .setTypedConfig(Envoy.any(OriginalDst.getDefaultInstance())));
        if (inspect) {
            inbound.addListenerFilters(ListenerFilter.newBuilder().setName(Envoy.TLS_INSPECTOR)
                    .setTypedConfig(Envoy.any(TlsInspector.getDefaultInstance())));
        }
        inbound.addAllFilterChains(inboundChains).addAllFilterChains(inboundPassthrough(passthroughTls, INBOUND_PASSTHROUGH, "0.0.0.0"));
        if (dualStack) {
            inbound.addAllFilterChains(inboundPassthrough(passthroughTls, INBOUND_PASSTHROUGH_IPV6, "::"));
            outbound.addAdditionalAddresses(AdditionalAddress.newBuilder().setAddress(Envoy.address("::", OUTBOUND_PORT)));
            inbound.addAdditionalAddresses(AdditionalAddress.newBuilder().setAddress(Envoy.address("::", INBOUND_PORT)));
            clusters.put(INBOUND_PASSTHROUGH_IPV6, originalDst(INBOUND_PASSTHROUGH_IPV6)
                    .setUpstreamBindConfig(BindConfig.newBuilder().setSourceAddress(SocketAddress.newBuilder()
                            .setAddress(INBOUND_PASSTHROUGH_SOURCE_IPV6).setPortValue(0)))
                    .build());
        }
        if (mode == ProxyView.InterceptionMode.TPROXY) {
            outbound.setTransparent(BoolValue.of(true));
            inbound.setTransparent(BoolValue.of(true));
        }
        renamed.forEach(l -> listeners.put(l.getName(), l));
        listeners.put(VIRTUAL_OUTBOUND, outbound.build());
        listeners.put(VIRTUAL_INBOUND, inbound.build());
        clusters.put(BLACK_HOLE, Cluster.newBuilder()
                .setName(BLACK_HOLE)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(10))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(BLACK_HOLE))
                .build());
        clusters.put(PASSTHROUGH, originalDst(PASSTHROUGH).build());
        clusters.put(INBOUND_PASSTHROUGH, originalDst(INBOUND_PASSTHROUGH)
                .setUpstreamBindConfig(BindConfig.newBuilder().setSourceAddress(SocketAddress.newBuilder()
                        .setAddress(INBOUND_PASSTHROUGH_SOURCE).setPortValue(0)))
                .build());
        if (!registryOnly) {
            routes.replaceAll((name, rc) -> rc.getVirtualHostsList().stream().anyMatch(vh -> vh.getDomainsList().contains("*"))
                    ? rc : rc.toBuilder().addVirtualHosts(allowAny()).build());
        }
    }

    /**
     * Istio's passthrough cluster shape: {@code ORIGINAL_DST}, {@code CLUSTER_PROVIDED}, 10 s connect
     * timeout, circuit breakers wide open.
     */
    private static Cluster.Builder originalDst(String name) {
        UInt32Value max = UInt32Value.of(-1); // 4294967295
        return Cluster.newBuilder()
                .setName(name)
                .setType(Cluster.DiscoveryType.ORIGINAL_DST)
                .setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(10))
                .setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(CircuitBreakers.Thresholds.newBuilder()
                        .setMaxConnections(max).setMaxPendingRequests(max).setMaxRequests(max).setMaxRetries(max)));
    }

    /**
     * The chains of {@code virtualInbound} for destinations of one family no inbound listener takes
     * ({@code anyAddress}/0), with the workload's mTLS: STRICT one chain terminating mTLS, PERMISSIVE
     * that chain for TLS and a plaintext one, DISABLE plaintext only; each a TCP proxy to {@code cluster}.
     */
    private static List<FilterChain> inboundPassthrough(ListenerTranslator.InboundTls tls, String cluster, String anyAddress) {
        // the chains of a TCP inbound listener with that mTLS, re-pointed at the passthrough cluster
        Listener shape = new ListenerTranslator().inbound("0.0.0.0", 1, false, tls, List.of());
        List<FilterChain> out = new ArrayList<>();
        for (FilterChain c : shape.getFilterChainsList()) {
            out.add(c.toBuilder()
                    .setName(cluster + "_" + c.getName())
                    .setFilterChainMatch(c.getFilterChainMatch().toBuilder()
                            .addPrefixRanges(CidrRange.newBuilder().setAddressPrefix(anyAddress).setPrefixLen(UInt32Value.of(0))))
                    .clearFilters()
                    .addFilters(tcpProxy(cluster))
                    .build());
        }
        return out;
    }

    /**
     * The last virtual host of an outbound route configuration under ALLOW_ANY: any other authority
     * goes to {@link #PASSTHROUGH}, i.e. to the connection's original destination, with no timeout.
     */
    static VirtualHost allowAny() {
        return VirtualHost.newBuilder()
                .setName(ALLOW_ANY)
                .addDomains("*")
                .addRoutes(Route.newBuilder()
                        .setName(ALLOW_ANY)
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(RouteAction.newBuilder()
                                .setCluster(PASSTHROUGH)
                                .setTimeout(com.google.protobuf.Duration.getDefaultInstance())
                                .setMaxStreamDuration(RouteAction.MaxStreamDuration.newBuilder()
                                        .setMaxStreamDuration(com.google.protobuf.Duration.getDefaultInstance())
                                        .setGrpcTimeoutHeaderMax(com.google.protobuf.Duration.getDefaultInstance()))))
                .build();
    }

    private static Filter tcpProxy(String cluster) {
        TcpProxy tcp = TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build();
        return Filter.newBuilder().setName(Envoy.TCP_PROXY).setTypedConfig(Envoy.any(tcp)).build();
    }

    /** A chain matching anything left, a TCP proxy to {@code cluster}. */
    private static FilterChain tcpChain(String cluster) {
        return FilterChain.newBuilder().setName(cluster).addFilters(tcpProxy(cluster)).build();
    }

    /**
     * An outbound listener of port P as Istio has it in capture: {@code 0.0.0.0:P},
     * {@code bind_to_port: false}, named {@code 0.0.0.0_P} ({@link XdsNames#anyAddressListener}),
     * its HTTP connection manager's {@code stat_prefix} {@code outbound_0.0.0.0_P}.
     */
    private static Listener wildcard(Listener l, int port) {
        Listener.Builder b = l.toBuilder().setName(XdsNames.anyAddressListener(port))
                .setAddress(Envoy.address("0.0.0.0", port)).setBindToPort(BoolValue.of(false));
        for (FilterChain.Builder c : b.getFilterChainsBuilderList()) {
            for (Filter.Builder f : c.getFiltersBuilderList()) {
                if (f.getName().equals(Envoy.HCM) && f.getTypedConfig().is(HttpConnectionManager.class)) {
                    try {
                        HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
                        f.setTypedConfig(Envoy.any(hcm.toBuilder().setStatPrefix("outbound_0.0.0.0_" + port).build()));
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new IllegalStateException("HCM of listener " + l.getName() + " does not parse", e);
                    }
                }
            }
        }
        return b.build();
    }
}
