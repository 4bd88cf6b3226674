package io.isthmus.sidecar.testing;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Message;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/** Builders of the xDS resources the controller sends, in Istio's shapes, for tests. */
public final class Xds {

    private Xds() {
    }

    public static Any any(Message m) {
        return Any.pack(m);
    }

    public static Address address(String host, int port) {
        return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(host).setPortValue(port)).build();
    }

    public static ConfigSource ads() {
        return ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance()).build();
    }

    public static HttpFilter router() {
        return HttpFilter.newBuilder().setName("envoy.filters.http.router").setTypedConfig(any(Router.getDefaultInstance())).build();
    }

    /** Outbound HTTP listener with RDS. */
    public static Listener outboundHttp(String name, String host, int port, String rds) {
        return outboundHttp(name, host, port, rds, List.of());
    }

    /** Istio's peer metadata exchange HTTP filter as the control plane sends it: a TypedStruct of its config. */
    public static HttpFilter peerMetadataFilter(com.google.protobuf.Struct config) {
        return HttpFilter.newBuilder().setName(io.isthmus.mesh.PeerMetadataExchange.FILTER_NAME)
                .setTypedConfig(any(com.github.xds.type.v3.TypedStruct.newBuilder()
                        .setTypeUrl(io.isthmus.mesh.PeerMetadataExchange.CONFIG_TYPE_URL).setValue(config).build()))
                .build();
    }

    /** An outbound HTTP listener with extra HTTP filters before the router. */
    public static Listener outboundHttp(String name, String host, int port, String rds, List<HttpFilter> filters) {
        HttpConnectionManager.Builder b = HttpConnectionManager.newBuilder().setStatPrefix(name)
                .setRds(Rds.newBuilder().setRouteConfigName(rds).setConfigSource(ads()));
        filters.forEach(b::addHttpFilters);
        HttpConnectionManager hcm = b.addHttpFilters(router()).build();
        return Listener.newBuilder().setName(name).setAddress(address(host, port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(any(hcm))))
                .build();
    }

    /** A plaintext listener relaying every connection to one cluster ({@code tcp_proxy}). */
    public static Listener tcpListener(String name, String host, int port, String cluster) {
        return Listener.newBuilder().setName(name).setAddress(address(host, port))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(any(io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.newBuilder()
                                .setStatPrefix(cluster).setCluster(cluster).build()))))
                .build();
    }

    /** Inbound mTLS HTTP listener routing everything to one cluster, with extra HTTP filters before the router. */
    public static Listener inboundHttp(String name, String host, int port, String cluster, boolean strict,
                                       List<HttpFilter> filters) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix(name)
                .setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET)
                .setRouteConfig(RouteConfiguration.newBuilder().setName(cluster)
                        .addVirtualHosts(VirtualHost.newBuilder().setName(cluster).addDomains("*")
                                .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                        .setRoute(RouteAction.newBuilder().setCluster(cluster)))));
        filters.forEach(hcm::addHttpFilters);
        hcm.addHttpFilters(router());
        return Listener.newBuilder().setName(name).setAddress(address(host, port))
                .setTrafficDirection(TrafficDirection.INBOUND)
                .addFilterChains(FilterChain.newBuilder()
                        .setTransportSocket(downstreamTls(strict))
                        .addFilters(Filter.newBuilder().setName("envoy.filters.network.http_connection_manager")
                                .setTypedConfig(any(hcm.build()))))
                .build();
    }

    public static TransportSocket downstreamTls(boolean strict) {
        DownstreamTlsContext tls = DownstreamTlsContext.newBuilder()
                .setRequireClientCertificate(BoolValue.of(strict))
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName("default"))
                        .setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName("ROOTCA")))
                .build();
        return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(any(tls)).build();
    }

    /** A route configuration with one virtual host per (domains, route) entry. */
    public static RouteConfiguration routes(String name, VirtualHost... vhosts) {
        return RouteConfiguration.newBuilder().setName(name).addAllVirtualHosts(List.of(vhosts)).build();
    }

    public static VirtualHost vhost(String name, List<String> domains, Route... routes) {
        return VirtualHost.newBuilder().setName(name).addAllDomains(domains).addAllRoutes(List.of(routes)).build();
    }

    public static Route prefixRoute(String prefix, String cluster) {
        return Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix(prefix))
                .setRoute(RouteAction.newBuilder().setCluster(cluster)).build();
    }

    /** Istio's default outbound route retry policy (Isthmus controller contract). */
    public static io.envoyproxy.envoy.config.route.v3.RetryPolicy meshRetry() {
        return io.envoyproxy.envoy.config.route.v3.RetryPolicy.newBuilder()
                .setRetryOn("connect-failure,refused-stream,reset,unavailable,cancelled,retriable-status-codes")
                .addRetriableStatusCodes(503)
                .setNumRetries(UInt32Value.of(2))
                .addRetryHostPredicate(io.envoyproxy.envoy.config.route.v3.RetryPolicy.RetryHostPredicate.newBuilder()
                        .setName("envoy.retry_host_predicates.previous_hosts")
                        .setTypedConfig(any(io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate.getDefaultInstance())))
                .setHostSelectionRetryMaxAttempts(5)
                .build();
    }

    /** An EDS cluster; with {@code sni} non-null it uses mesh mTLS expecting {@code sans}. */
    public static Cluster edsCluster(String name, String sni, List<String> sans) {
        Cluster.Builder c = Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ads()))
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
        if (sni != null) {
            c.setTransportSocket(upstreamTls(sni, sans));
        }
        return c.build();
    }

    public static TransportSocket upstreamTls(String sni, List<String> sans) {
        CommonTlsContext.CombinedCertificateValidationContext.Builder v = CommonTlsContext.CombinedCertificateValidationContext
                .newBuilder().setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName("ROOTCA"));
        for (String san : sans) {
            v.getDefaultValidationContextBuilder().addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
                    .setSanType(SubjectAltNameMatcher.SanType.URI)
                    .setMatcher(StringMatcher.newBuilder().setExact(san)));
        }
        UpstreamTlsContext tls = UpstreamTlsContext.newBuilder().setSni(sni)
                .setCommonTlsContext(CommonTlsContext.newBuilder()
                        .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName("default"))
                        .setCombinedValidationContext(v)
                        .addAlpnProtocols("istio").addAlpnProtocols("h2").addAlpnProtocols("http/1.1"))
                .build();
        return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(any(tls)).build();
    }

    /**
     * An EDS cluster as Istio sends it under auto mTLS: no {@code transport_socket} of its own, and
     * {@code transport_socket_matches} giving mesh mTLS (SNI {@code sni}, peers {@code sans}) to the
     * endpoints labelled {@code tlsMode: istio} and plaintext to every other one.
     */
    public static Cluster autoMtlsCluster(String name, String sni, List<String> sans) {
        return edsCluster(name, null, List.of()).toBuilder()
                .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder().setName("tlsMode-istio")
                        .setMatch(tlsModeLabels("istio")).setTransportSocket(upstreamTls(sni, sans)))
                .addTransportSocketMatches(Cluster.TransportSocketMatch.newBuilder().setName("tlsMode-disabled")
                        .setMatch(com.google.protobuf.Struct.getDefaultInstance())
                        .setTransportSocket(TransportSocket.newBuilder().setName("envoy.transport_sockets.raw_buffer")
                                .setTypedConfig(any(io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer
                                        .getDefaultInstance()))))
                .build();
    }

    /** {@code {tlsMode: <mode>}}, Istio's transport socket label. */
    public static com.google.protobuf.Struct tlsModeLabels(String mode) {
        return com.google.protobuf.Struct.newBuilder().putFields("tlsMode",
                com.google.protobuf.Value.newBuilder().setStringValue(mode).build()).build();
    }

    /** The endpoint labelled with Istio's {@code tlsMode} ({@code istio}: it has a sidecar; {@code disabled}: it has none). */
    public static LbEndpoint withTlsMode(LbEndpoint endpoint, String mode) {
        return endpoint.toBuilder().setMetadata(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder()
                .putFilterMetadata("envoy.transport_socket_match", tlsModeLabels(mode))).build();
    }

    /** The endpoint with Istio's {@code istio} metadata naming the mesh cluster of its workloads, as the controller sends it. */
    public static LbEndpoint inCluster(LbEndpoint endpoint, String cluster) {
        var md = endpoint.getMetadata().toBuilder().putFilterMetadata("istio", com.google.protobuf.Struct.newBuilder()
                .putFields("cluster", com.google.protobuf.Value.newBuilder().setStringValue(cluster).build()).build());
        return endpoint.toBuilder().setMetadata(md).build();
    }

    /** A STATIC plaintext cluster to one address. */
    public static Cluster staticCluster(String name, String host, int port) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.STATIC)
                .setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setLoadAssignment(ClusterLoadAssignment.newBuilder().setClusterName(name)
                        .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(lbEndpoint(host, port, 1))))
                .build();
    }

    /** Endpoint outlier detection with thresholds for tests. */
    public static OutlierDetection outlier(int consecutive, long baseEjectionMillis, int maxPercent) {
        return OutlierDetection.newBuilder()
                .setConsecutive5Xx(UInt32Value.of(consecutive))
                .setConsecutiveGatewayFailure(UInt32Value.of(consecutive))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(100))
                .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder()
                        .setNanos((int) (baseEjectionMillis % 1000) * 1_000_000).setSeconds(baseEjectionMillis / 1000))
                .setInterval(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setMaxEjectionPercent(UInt32Value.of(maxPercent))
                .build();
    }

    public static LbEndpoint lbEndpoint(String host, int port, int weight) {
        return LbEndpoint.newBuilder().setEndpoint(Endpoint.newBuilder().setAddress(address(host, port)))
                .setLoadBalancingWeight(UInt32Value.of(weight)).build();
    }

    /** A locality group at a priority. */
    public static LocalityLbEndpoints group(String zone, int priority, LbEndpoint... endpoints) {
        return LocalityLbEndpoints.newBuilder().setLocality(Locality.newBuilder().setRegion("r1").setZone(zone))
                .setPriority(priority).addAllLbEndpoints(List.of(endpoints)).build();
    }

    public static ClusterLoadAssignment cla(String cluster, LocalityLbEndpoints... groups) {
        return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addAllEndpoints(List.of(groups)).build();
    }
}
