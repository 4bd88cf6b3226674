package io.isthmus.controller.translate;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;

/** Small builders of Envoy messages that every translator needs. */
final class Envoy {
    /** Name of the HTTP connection manager network filter. */
    static final String HCM = "envoy.filters.network.http_connection_manager";
    /** Name of the TCP proxy network filter. */
    static final String TCP_PROXY = "envoy.filters.network.tcp_proxy";
    /** Name of the router HTTP filter. */
    static final String ROUTER = "envoy.filters.http.router";
    /** Name of the RBAC HTTP filter. */
    static final String RBAC = "envoy.filters.http.rbac";
    /** HTTP filter name of fault injection, configured per route ({@code typed_per_filter_config}). */
    static final String FAULT = "envoy.filters.http.fault";
    /** HTTP filter name of CORS, configured per route ({@code typed_per_filter_config}). */
    static final String CORS = "envoy.filters.http.cors";
    /** Name of the TLS transport socket. */
    static final String TLS = "envoy.transport_sockets.tls";
    /** Name of the TLS inspector listener filter. */
    static final String TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";

    private Envoy() {
    }

    /**
     * The fault injection HTTP filter, with no fault of its own: a route's {@code typed_per_filter_config} under
     * {@link #FAULT} configures it (Envoy applies per-route faults only when the filter is in the chain).
     */
    static io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter faultFilter() {
        return io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                .setName(FAULT)
                .setTypedConfig(any(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDefaultInstance()))
                .build();
    }

    /**
     * Istio's peer metadata exchange HTTP filter ({@link io.isthmus.mesh.PeerMetadataExchange}): proxies tell each
     * other who they are in headers, which labels their metrics ({@code source_workload}, {@code destination_version}).
     *
     * @param inbound a sidecar's inbound chains (learn the caller, answer with this proxy); else outbound and gateway
     *     chains (tell the callee, learn it from the response)
     */
    static io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter peerMetadataFilter(boolean inbound) {
        var config = com.github.xds.type.v3.TypedStruct.newBuilder()
                .setTypeUrl(io.isthmus.mesh.PeerMetadataExchange.CONFIG_TYPE_URL)
                .setValue(inbound ? io.isthmus.mesh.PeerMetadataExchange.inboundConfig()
                        : io.isthmus.mesh.PeerMetadataExchange.outboundConfig());
        return io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                .setName(io.isthmus.mesh.PeerMetadataExchange.FILTER_NAME)
                .setTypedConfig(any(config.build()))
                .build();
    }

    /**
     * The CORS HTTP filter, with no policy of its own: a route's {@code typed_per_filter_config} under {@link #CORS}
     * gives it one (Envoy's filter acts only on routes that have one).
     */
    static io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter corsFilter() {
        return io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                .setName(CORS)
                .setTypedConfig(any(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDefaultInstance()))
                .build();
    }

    /** A config source that says "over the same ADS stream", API v3. */
    static ConfigSource ads() {
        return ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3)
                .build();
    }

    /** An SDS reference to a secret delivered over ADS. */
    static SdsSecretConfig sds(String name) {
        return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ads()).build();
    }

    /** A TCP socket address. */
    static Address address(String ip, int port) {
        return Address.newBuilder()
                .setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port))
                .build();
    }

    static Any any(Message m) {
        return Any.pack(m);
    }
}
