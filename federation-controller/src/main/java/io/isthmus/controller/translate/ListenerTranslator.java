package io.isthmus.controller.translate;

import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.isthmus.mesh.XdsNames;
import java.util.List;

/**
 * LDS: a sidecar's outbound listeners on {@code 127.0.0.2:P} (HTTP connection manager with RDS
 * {@code "P"}, or a TCP proxy to the one cluster of a non-HTTP port), its inbound listeners on
 * {@code <podIP>:<targetPort>} (mTLS required, then HTTP or TCP to {@code inbound|P||}), and the
 * API listeners of proxyless gRPC clients.
 */
public final class ListenerTranslator {

    /** How an inbound port accepts connections (PeerAuthentication's modes). */
    public enum InboundTls {
        /** Only mTLS with a client certificate under the trust bundle. */
        STRICT,
        /** mTLS as in STRICT, and plaintext too (migration). */
        PERMISSIVE,
        /** Plaintext only (PeerAuthentication DISABLE). */
        DISABLE
    }

    /**
     * The outbound HTTP listener of port P: HCM with RDS {@code "P"}, the peer metadata exchange, the CORS and fault
     * filters (routes configure them) and the router.
     */
    public Listener outboundHttp(int port) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix("outbound_" + XdsNames.OUTBOUND_BIND_ADDRESS + "_" + port)
                .setRds(Rds.newBuilder().setRouteConfigName(XdsNames.outboundRoute(port)).setConfigSource(Envoy.ads()))
                .addHttpFilters(Envoy.peerMetadataFilter(false))
                .addHttpFilters(Envoy.corsFilter())
                .addHttpFilters(Envoy.faultFilter())
                .addHttpFilters(router())
                .build();
        return outbound(port, Filter.newBuilder().setName(Envoy.HCM).setTypedConfig(Envoy.any(hcm)).build());
    }

    /** The outbound listener of a non-HTTP port P: TCP proxy to {@code cluster}. */
    public Listener outboundTcp(int port, String cluster) {
        return outboundTcp(port, TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build());
    }

    /** The outbound listener of a non-HTTP port P with this TCP proxy (a VirtualService's weighted TCP route). */
    public Listener outboundTcp(int port, TcpProxy tcp) {
        return outbound(port, Filter.newBuilder().setName(Envoy.TCP_PROXY).setTypedConfig(Envoy.any(tcp)).build());
    }

    /**
     * The outbound listener of a non-HTTP service port reached at one of its VIPs in capture mode, Istio's
     * {@code <vip>_<port>}: {@code <vip>:P}, {@code bind_to_port: false} (the capture listener hands it the
     * connections whose original destination is that address), TCP proxy to {@code cluster}. Two TCP services
     * on one port are told apart only this way: a port-wide listener can lead to one cluster.
     */
    public Listener outboundTcpVip(String vip, int port, String cluster) {
        return outboundTcpVip(vip, port, TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build());
    }

    /** The VIP listener of {@link #outboundTcpVip(String, int, String)} with this TCP proxy. */
    public Listener outboundTcpVip(String vip, int port, TcpProxy tcp) {
        return Listener.newBuilder()
                .setName(vip + "_" + port)
                .setAddress(Envoy.address(vip, port))
                .setBindToPort(com.google.protobuf.BoolValue.of(false))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(
                        Filter.newBuilder().setName(Envoy.TCP_PROXY).setTypedConfig(Envoy.any(tcp))))
                .build();
    }

    private static Listener outbound(int port, Filter filter) {
        return Listener.newBuilder()
                .setName(XdsNames.outboundListener(port))
                .setAddress(Envoy.address(XdsNames.OUTBOUND_BIND_ADDRESS, port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(filter))
                .build();
    }

    /**
     * Moves the outbound listeners bound to {@link XdsNames#OUTBOUND_BIND_ADDRESS} to
     * {@code address} (a pod without its own network namespace has its own loopback address for
     * them); names stay. Returns whether any listener moved.
     */
    public static boolean rebindOutbound(java.util.Map<String, Listener> listeners, String address) {
        boolean moved = false;
        for (java.util.Map.Entry<String, Listener> e : listeners.entrySet()) {
            Listener l = e.getValue();
            if (l.getTrafficDirection() == TrafficDirection.OUTBOUND && l.hasAddress() && l.getAddress().hasSocketAddress()
                    && XdsNames.OUTBOUND_BIND_ADDRESS.equals(l.getAddress().getSocketAddress().getAddress())
                    && !address.equals(XdsNames.OUTBOUND_BIND_ADDRESS)) {
                e.setValue(l.toBuilder().setAddress(Envoy.address(address, l.getAddress().getSocketAddress().getPortValue())).build());
                moved = true;
            }
        }
        return moved;
    }

    /**
     * The inbound listener of one pod port.
     *
     * @param podIp the pod address to bind
     * @param targetPort the container port (the app listens on {@code 127.0.0.1:targetPort})
     * @param http whether to route at HTTP level (HCM) or pass bytes (TCP proxy)
     * @param tls STRICT or PERMISSIVE
     * @param rbac the authorization filters to run before routing, in order (DENY before ALLOW)
     */
    public Listener inbound(String podIp, int targetPort, boolean http, InboundTls tls, List<RBAC> rbac) {
        String cluster = XdsNames.inboundCluster(targetPort);
        Filter filter = http ? inboundHcm(targetPort, cluster, rbac) : Filter.newBuilder().setName(Envoy.TCP_PROXY)
                .setTypedConfig(Envoy.any(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())).build();
        Listener.Builder l = Listener.newBuilder()
                .setName(XdsNames.inboundListener(targetPort))
                .setAddress(Envoy.address(podIp, targetPort))
                .setTrafficDirection(TrafficDirection.INBOUND);
        if (tls == InboundTls.DISABLE) {
            return l.addFilterChains(FilterChain.newBuilder().setName("plaintext").addFilters(filter)).build();
        }
        l.addFilterChains(FilterChain.newBuilder()
                        .setName("mtls")
                        .setFilterChainMatch(tls == InboundTls.PERMISSIVE
                                ? FilterChainMatch.newBuilder().setTransportProtocol("tls").build()
                                : FilterChainMatch.getDefaultInstance())
                        .setTransportSocket(downstreamTls(http))
                        .addFilters(filter));
        if (tls == InboundTls.PERMISSIVE) {
            l.addListenerFilters(ListenerFilter.newBuilder().setName(Envoy.TLS_INSPECTOR)
                    .setTypedConfig(Envoy.any(TlsInspector.getDefaultInstance())));
            l.addFilterChains(FilterChain.newBuilder()
                    .setName("plaintext")
                    .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("raw_buffer"))
                    .addFilters(filter));
        }
        return l.build();
    }

    /** The API listener a proxyless gRPC client resolves {@code xds:///host:port} with. */
    public Listener grpcApiListener(String hostPort) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix(hostPort)
                .setRds(Rds.newBuilder().setRouteConfigName(hostPort).setConfigSource(Envoy.ads()))
                .addHttpFilters(router())
                .build();
        return Listener.newBuilder()
                .setName(hostPort)
                .setApiListener(ApiListener.newBuilder().setApiListener(Envoy.any(hcm)))
                .build();
    }

    private static Filter inboundHcm(int targetPort, String cluster, List<RBAC> rbac) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder()
                .setStatPrefix("inbound_" + targetPort)
                .setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET)
                .setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder().setUri(true))
                .setRouteConfig(RouteConfiguration.newBuilder()
                        .setName(cluster)
                        .addVirtualHosts(VirtualHost.newBuilder()
                                .setName(cluster)
                                .addDomains("*")
                                .addRoutes(RouteTranslator.defaultRoute(cluster, null))))
                .addHttpFilters(Envoy.peerMetadataFilter(true));
        for (RBAC r : rbac) {
            hcm.addHttpFilters(HttpFilter.newBuilder().setName(Envoy.RBAC).setTypedConfig(Envoy.any(r)));
        }
        hcm.addHttpFilters(router());
        return Filter.newBuilder().setName(Envoy.HCM).setTypedConfig(Envoy.any(hcm.build())).build();
    }

    private static TransportSocket downstreamTls(boolean http) {
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(Envoy.sds(XdsNames.WORKLOAD_SECRET))
                .setValidationContextSdsSecretConfig(Envoy.sds(XdsNames.ROOT_SECRET));
        if (http) {
            common.addAlpnProtocols("h2").addAlpnProtocols("http/1.1");
        }
        DownstreamTlsContext tls = DownstreamTlsContext.newBuilder()
                .setRequireClientCertificate(BoolValue.of(true))
                .setCommonTlsContext(common)
                .build();
        return TransportSocket.newBuilder().setName(Envoy.TLS).setTypedConfig(Envoy.any(tls)).build();
    }

    private static HttpFilter router() {
        return HttpFilter.newBuilder().setName(Envoy.ROUTER).setTypedConfig(Envoy.any(Router.getDefaultInstance())).build();
    }

}
