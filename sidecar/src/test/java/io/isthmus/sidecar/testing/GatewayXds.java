package io.isthmus.sidecar.testing;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.pem.Pem;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/** Builders of the gateway resources the controller sends (the "Gateways (#7)" shapes), for tests. */
public final class GatewayXds {

    private GatewayXds() {
    }

    /** A listener {@code 0.0.0.0_P}-style on {@code host:port} with tls_inspector and the given chains. */
    public static Listener listener(String name, String host, int port, FilterChain... chains) {
        return Listener.newBuilder().setName(name).setAddress(Xds.address(host, port))
                .addListenerFilters(ListenerFilter.newBuilder().setName("envoy.filters.listener.tls_inspector"))
                .addAllFilterChains(List.of(chains)).build();
    }

    /** An HCM with RDS and the edge settings, with extra HTTP filters before the router. */
    public static HttpConnectionManager.Builder hcm(String rds, int trustedHops, HttpFilter... filters) {
        HttpConnectionManager.Builder h = HttpConnectionManager.newBuilder().setStatPrefix("outbound_0.0.0.0_" + rds)
                .setRds(Rds.newBuilder().setRouteConfigName(rds).setConfigSource(Xds.ads()))
                .setUseRemoteAddress(BoolValue.of(true)).setXffNumTrustedHops(trustedHops);
        for (HttpFilter f : filters) {
            h.addHttpFilters(f);
        }
        return h.addHttpFilters(Xds.router());
    }

    public static Filter hcmFilter(HttpConnectionManager.Builder h) {
        return Filter.newBuilder().setName("envoy.filters.network.http_connection_manager").setTypedConfig(Xds.any(h.build())).build();
    }

    public static Filter connectionLimit(long max) {
        return Filter.newBuilder().setName("envoy.filters.network.connection_limit").setTypedConfig(Xds.any(
                ConnectionLimit.newBuilder().setStatPrefix("connection_limit").setMaxConnections(UInt64Value.of(max)).build())).build();
    }

    public static Filter tcpProxy(String cluster) {
        return Filter.newBuilder().setName("envoy.filters.network.tcp_proxy").setTypedConfig(Xds.any(
                TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())).build();
    }

    /** A per-client-IP local rate limit: {@code n} requests per {@code seconds}. */
    public static HttpFilter rateLimitPerClient(int n, int seconds) {
        TokenBucket bucket = TokenBucket.newBuilder().setMaxTokens(n).setTokensPerFill(UInt32Value.of(n))
                .setFillInterval(com.google.protobuf.Duration.newBuilder().setSeconds(seconds)).build();
        LocalRateLimit l = LocalRateLimit.newBuilder().setStatPrefix("http_local_rate_limiter")
                .setTokenBucket(TokenBucket.newBuilder().setMaxTokens(1_000_000).setTokensPerFill(UInt32Value.of(1_000_000))
                        .setFillInterval(com.google.protobuf.Duration.newBuilder().setSeconds(1)))
                .addDescriptors(LocalRateLimitDescriptor.newBuilder()
                        .addEntries(io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor.Entry.newBuilder()
                                .setKey("remote_address"))
                        .setTokenBucket(bucket))
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder()
                        .setKey("x-local-rate-limit").setValue("true")))
                .build();
        return HttpFilter.newBuilder().setName("envoy.filters.http.local_ratelimit").setTypedConfig(Xds.any(l)).build();
    }

    /** A chain matching {@code serverNames} (none: any), with TLS when {@code tls} is given. */
    public static FilterChain chain(List<String> serverNames, Optional<TransportSocket> tls, Filter... filters) {
        FilterChain.Builder b = FilterChain.newBuilder();
        if (!serverNames.isEmpty()) {
            b.setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(serverNames));
        }
        tls.ifPresent(b::setTransportSocket);
        return b.addAllFilters(List.of(filters)).build();
    }

    /** SIMPLE (no {@code caSecret}) or MUTUAL TLS with named SDS secrets, ALPN h2 and http/1.1. */
    public static TransportSocket tls(String certSecret, Optional<String> caSecret) {
        CommonTlsContext.Builder c = CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(SdsSecretConfig.newBuilder().setName(certSecret).setSdsConfig(Xds.ads()))
                .addAlpnProtocols("h2").addAlpnProtocols("http/1.1");
        caSecret.ifPresent(n -> c.setValidationContextSdsSecretConfig(SdsSecretConfig.newBuilder().setName(n).setSdsConfig(Xds.ads())));
        DownstreamTlsContext d = DownstreamTlsContext.newBuilder().setCommonTlsContext(c)
                .setRequireClientCertificate(BoolValue.of(caSecret.isPresent())).build();
        return TransportSocket.newBuilder().setName("envoy.transport_sockets.tls").setTypedConfig(Xds.any(d)).build();
    }

    public static Secret certificateSecret(String name, CertifiedKey key) {
        return Secret.newBuilder().setName(name).setTlsCertificate(TlsCertificate.newBuilder()
                .setCertificateChain(bytes(key.chainPem())).setPrivateKey(bytes(key.privateKeyPem()))).build();
    }

    public static Secret caSecret(String name, X509Certificate ca) {
        return Secret.newBuilder().setName(name).setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(bytes(Pem.encode(ca)))).build();
    }

    private static DataSource bytes(String s) {
        return DataSource.newBuilder().setInlineBytes(ByteString.copyFrom(s, StandardCharsets.UTF_8)).build();
    }
}
