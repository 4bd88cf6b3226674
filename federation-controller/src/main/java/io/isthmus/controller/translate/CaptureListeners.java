package io.isthmus.controller.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * LDS of a sidecar in TPROXY interception mode, Istio's shapes: {@code virtualOutbound} on
 * {@code 0.0.0.0:15001} ({@code use_original_dst}, {@code transparent}) hands each captured
 * connection to the outbound listener of its destination port, now {@code 0.0.0.0:P} with
 * {@code bind_to_port: false}, and refuses other destinations ({@code BlackHoleCluster}: the proxy
 * has no ORIGINAL_DST passthrough); {@code virtualInbound} on {@code 0.0.0.0:15006}
 * ({@code transparent}) carries the inbound listeners' chains, each matched on
 * {@code destination_port} = its target port, which replace the per-port inbound listeners.
 */
final class CaptureListeners {

    /** Istio's name of the outbound capture listener. */
    static final String VIRTUAL_OUTBOUND = "virtualOutbound";
    /** Istio's name of the inbound capture listener. */
    static final String VIRTUAL_INBOUND = "virtualInbound";
    /** Istio's cluster that refuses connections. */
    static final String BLACK_HOLE = "BlackHoleCluster";
    /** Outbound capture port. */
    static final int OUTBOUND_PORT = 15001;
    /** Inbound capture port. */
    static final int INBOUND_PORT = 15006;
    private static final String ORIGINAL_DST = "envoy.filters.listener.original_dst";

    private CaptureListeners() {
    }

    /**
     * Reshapes a sidecar's listeners for TPROXY capture in place and adds {@link #BLACK_HOLE} to its
     * clusters.
     */
    static void apply(Map<String, Listener> listeners, Map<String, Cluster> clusters) {
        List<FilterChain> inboundChains = new ArrayList<>();
        boolean inspect = false;
        Iterator<Map.Entry<String, Listener>> it = listeners.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Listener> e = it.next();
            Listener l = e.getValue();
            if (l.hasApiListener() || !l.hasAddress() || !l.getAddress().hasSocketAddress()) {
                continue;
            }
            int port = l.getAddress().getSocketAddress().getPortValue();
            if (l.getTrafficDirection() == TrafficDirection.OUTBOUND) {
                e.setValue(l.toBuilder().setAddress(Envoy.address("0.0.0.0", port)).setBindToPort(BoolValue.of(false)).build());
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
        listeners.put(VIRTUAL_OUTBOUND, Listener.newBuilder()
                .setName(VIRTUAL_OUTBOUND)
                .setAddress(Envoy.address("0.0.0.0", OUTBOUND_PORT))
                .setUseOriginalDst(BoolValue.of(true))
                .setTransparent(BoolValue.of(true))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(blackHole())
                .build());
        Listener.Builder inbound = Listener.newBuilder()
                .setName(VIRTUAL_INBOUND)
                .setAddress(Envoy.address("0.0.0.0", INBOUND_PORT))
                .setTransparent(BoolValue.of(true))
                .setTrafficDirection(TrafficDirection.INBOUND)
                .addListenerFilters(ListenerFilter.newBuilder().setName(ORIGINAL_DST)
                        .setTypedConfig(Envoy.any(OriginalDst.getDefaultInstance())));
        if (inspect) {
            inbound.addListenerFilters(ListenerFilter.newBuilder().setName(Envoy.TLS_INSPECTOR)
                    .setTypedConfig(Envoy.any(TlsInspector.getDefaultInstance())));
        }
        inbound.addAllFilterChains(inboundChains).addFilterChains(blackHole());
        listeners.put(VIRTUAL_INBOUND, inbound.build());
        clusters.put(BLACK_HOLE, Cluster.newBuilder()
                .setName(BLACK_HOLE)
                .setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(10))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(BLACK_HOLE))
                .build());
    }

    /** The chain for destinations no listener takes: the connection is refused. */
    private static FilterChain blackHole() {
        TcpProxy tcp = TcpProxy.newBuilder().setStatPrefix(BLACK_HOLE).setCluster(BLACK_HOLE).build();
        return FilterChain.newBuilder().setName(BLACK_HOLE)
                .addFilters(Filter.newBuilder().setName(Envoy.TCP_PROXY).setTypedConfig(Envoy.any(tcp)))
                .build();
    }
}
