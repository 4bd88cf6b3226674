package io.isthmus.sidecar.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.RoutingPriority;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.OutlierConfig;
import io.isthmus.sidecar.endpoint.SocketMatchLabels;
import io.isthmus.sidecar.errors.ResourceDurations;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.tls.OriginationTranslator;
import io.isthmus.sidecar.tls.SanMatchers;
import io.isthmus.sidecar.tls.TlsContextTranslator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Translates a CDS {@code Cluster} into a {@link ClusterConfig}. Every field that would change
 * behaviour and is not honoured is refused with the field's name (see docs/xds-support.md).
 */
public final class ClusterTranslator {

    private static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
    private static final String TLS_SOCKET = "envoy.transport_sockets.tls";

    private ClusterTranslator() {
    }

    /** Translates and validates one cluster. */
    public static ClusterConfig translate(Cluster c) throws InvalidResourceException {
        String name = c.getName();
        if (name.isEmpty()) {
            throw invalid("", "name", "must not be empty");
        }
        if (c.hasClusterType()) {
            throw invalid(name, "cluster_type", "custom cluster types are not supported");
        }
        ClusterConfig.Discovery discovery = switch (c.getType()) {
            case EDS -> ClusterConfig.Discovery.EDS;
            case STATIC -> ClusterConfig.Discovery.STATIC;
            case STRICT_DNS -> ClusterConfig.Discovery.STRICT_DNS;
            case LOGICAL_DNS -> ClusterConfig.Discovery.LOGICAL_DNS;
            case ORIGINAL_DST -> ClusterConfig.Discovery.ORIGINAL_DST;
            default -> throw invalid(name, "type", c.getType()
                    + " is not supported (EDS, STATIC, STRICT_DNS, LOGICAL_DNS and ORIGINAL_DST are)");
        };
        boolean originalDst = discovery == ClusterConfig.Discovery.ORIGINAL_DST;
        OriginalDstClusters.validate(c, originalDst);
        String eds = name;
        if (discovery == ClusterConfig.Discovery.EDS && c.hasEdsClusterConfig()) {
            var ec = c.getEdsClusterConfig();
            if (ec.hasEdsConfig() && !ec.getEdsConfig().hasAds() && !ec.getEdsConfig().hasSelf()) {
                throw invalid(name, "eds_cluster_config.eds_config", "only ADS is supported");
            }
            if (!ec.getServiceName().isEmpty()) {
                eds = ec.getServiceName();
            }
        }
        Optional<LoadAssignment> statics = Optional.empty();
        if (discovery == ClusterConfig.Discovery.STATIC) {
            if (!c.hasLoadAssignment()) {
                throw invalid(name, "load_assignment", "a STATIC cluster needs its endpoints");
            }
            try {
                var cla = c.getLoadAssignment().getClusterName().isEmpty()
                        ? c.getLoadAssignment().toBuilder().setClusterName(name).build() : c.getLoadAssignment();
                statics = Optional.of(EndpointTranslator.translate(cla, a -> new EndpointState()));
            } catch (InvalidResourceException e) {
                throw invalid(name, "load_assignment." + e.field(), e.reason());
            }
        }
        Optional<DnsConfig> dns = discovery == ClusterConfig.Discovery.STRICT_DNS
                || discovery == ClusterConfig.Discovery.LOGICAL_DNS ? Optional.of(DnsClusters.config(c)) : Optional.empty();
        Duration connectTimeout = c.hasConnectTimeout() ? duration(c.getConnectTimeout(), name, "connect_timeout") : Duration.ofSeconds(5);
        if (connectTimeout.isZero() || connectTimeout.isNegative()) {
            throw invalid(name, "connect_timeout", "must be positive");
        }
        LbPolicies.Choice lb = LbPolicies.of(c, originalDst);
        if (c.hasCommonLbConfig() && c.getCommonLbConfig().hasZoneAwareLbConfig()) {
            throw invalid(name, "common_lb_config.zone_aware_lb_config", "zone-aware routing is not supported; use priorities");
        }
        if (c.getHealthChecksCount() > 0) {
            throw invalid(name, "health_checks", "active health checking is not supported; use outlier_detection");
        }
        if (c.getFiltersCount() > 0) {
            throw invalid(name, "filters", "upstream network filters are not supported");
        }
        Optional<UpstreamTls> tls = c.hasTransportSocket() ? tls(name, "transport_socket", c.getTransportSocket())
                : Optional.empty();
        List<TransportSocketMatch> socketMatches = socketMatches(c);
        boolean mayUseTls = tls.isPresent() || socketMatches.stream().anyMatch(m -> m.tls().isPresent());
        Optional<HttpProtocolOptions> typed = typedOptions(c);
        ConnectionLifetime lifetime = lifetime(c, typed);
        return new ClusterConfig(name, discovery, eds, connectTimeout, lb.policy(), lb.hashLb(), outlier(c), limits(c),
                tls, socketMatches, protocol(c, mayUseTls, typed), statics, dns, OriginalDstClusters.sourceAddress(c),
                lifetime.idleTimeout(), lifetime.maxRequestsPerConnection(), services(c));
    }

    /**
     * The host names of Istio's cluster metadata {@code filter_metadata.istio.services[].host}, which name the
     * services behind an (inbound) cluster in its metrics; what is not a list of structs with a string host is
     * skipped, as metadata is a label and no reason to refuse a cluster.
     */
    static List<String> services(Cluster c) {
        com.google.protobuf.Struct istio = c.getMetadata().getFilterMetadataMap().get("istio");
        com.google.protobuf.Value list = istio == null ? null : istio.getFieldsMap().get("services");
        if (list == null || !list.hasListValue()) {
            return List.of();
        }
        List<String> hosts = new ArrayList<>();
        for (com.google.protobuf.Value v : list.getListValue().getValuesList()) {
            com.google.protobuf.Value host = v.hasStructValue() ? v.getStructValue().getFieldsMap().get("host") : null;
            if (host != null && host.hasStringValue() && !host.getStringValue().isEmpty() && hosts.size() < 64) {
                hosts.add(host.getStringValue());
            }
        }
        return hosts;
    }

    private static Optional<OutlierConfig> outlier(Cluster c) throws InvalidResourceException {
        String name = c.getName();
        if (!c.hasOutlierDetection()) {
            return name.startsWith("outbound|") ? Optional.of(OutlierConfig.MESH_DEFAULTS) : Optional.empty();
        }
        OutlierDetection o = c.getOutlierDetection();
        if (o.getMonitorsCount() > 0) {
            throw invalid(name, "outlier_detection.monitors", "outlier detection extensions are not supported");
        }
        OutlierConfig d = OutlierConfig.ENVOY_DEFAULTS;
        OutlierConfig.SuccessRate sr = d.successRate();
        OutlierConfig.FailurePercentage fp = d.failurePercentage();
        OutlierConfig.LocalOrigin lo = d.localOrigin();
        try {
            Duration base = o.hasBaseEjectionTime() ? duration(o.getBaseEjectionTime(), name, "outlier_detection.base_ejection_time")
                    : d.baseEjectionTime();
            Duration max = o.hasMaxEjectionTime() ? duration(o.getMaxEjectionTime(), name, "outlier_detection.max_ejection_time")
                    : (base.compareTo(d.maxEjectionTime()) > 0 ? base : d.maxEjectionTime());
            return Optional.of(new OutlierConfig(
                    o.hasConsecutive5Xx() ? o.getConsecutive5Xx().getValue() : d.consecutive5xx(),
                    o.hasEnforcingConsecutive5Xx() ? o.getEnforcingConsecutive5Xx().getValue() : d.enforcing5xx(),
                    o.hasConsecutiveGatewayFailure() ? o.getConsecutiveGatewayFailure().getValue() : d.consecutiveGatewayFailure(),
                    o.hasEnforcingConsecutiveGatewayFailure() ? o.getEnforcingConsecutiveGatewayFailure().getValue()
                            : d.enforcingGatewayFailure(),
                    o.hasInterval() ? duration(o.getInterval(), name, "outlier_detection.interval") : d.interval(),
                    base,
                    max,
                    // Envoy reads values above 100 as 100
                    o.hasMaxEjectionPercent() ? Math.min(100, o.getMaxEjectionPercent().getValue()) : d.maxEjectionPercent(),
                    o.hasAlwaysEjectOneHost() ? o.getAlwaysEjectOneHost().getValue() : d.alwaysEjectOneHost(),
                    o.hasMaxEjectionTimeJitter() ? duration(o.getMaxEjectionTimeJitter(), name, "outlier_detection.max_ejection_time_jitter")
                            : d.maxEjectionTimeJitter(),
                    new OutlierConfig.SuccessRate(
                            o.hasSuccessRateMinimumHosts() ? o.getSuccessRateMinimumHosts().getValue() : sr.minimumHosts(),
                            o.hasSuccessRateRequestVolume() ? o.getSuccessRateRequestVolume().getValue() : sr.requestVolume(),
                            o.hasSuccessRateStdevFactor() ? o.getSuccessRateStdevFactor().getValue() : sr.stdevFactor(),
                            o.hasEnforcingSuccessRate() ? o.getEnforcingSuccessRate().getValue() : sr.enforcing(),
                            o.hasEnforcingLocalOriginSuccessRate() ? o.getEnforcingLocalOriginSuccessRate().getValue()
                                    : sr.enforcingLocalOrigin()),
                    new OutlierConfig.FailurePercentage(
                            o.hasFailurePercentageThreshold() ? o.getFailurePercentageThreshold().getValue() : fp.threshold(),
                            o.hasFailurePercentageMinimumHosts() ? o.getFailurePercentageMinimumHosts().getValue()
                                    : fp.minimumHosts(),
                            o.hasFailurePercentageRequestVolume() ? o.getFailurePercentageRequestVolume().getValue()
                                    : fp.requestVolume(),
                            o.hasEnforcingFailurePercentage() ? o.getEnforcingFailurePercentage().getValue() : fp.enforcing(),
                            o.hasEnforcingFailurePercentageLocalOrigin()
                                    ? o.getEnforcingFailurePercentageLocalOrigin().getValue() : fp.enforcingLocalOrigin()),
                    new OutlierConfig.LocalOrigin(o.getSplitExternalLocalOriginErrors(),
                            o.hasConsecutiveLocalOriginFailure() ? o.getConsecutiveLocalOriginFailure().getValue()
                                    : lo.consecutive(),
                            o.hasEnforcingConsecutiveLocalOriginFailure()
                                    ? o.getEnforcingConsecutiveLocalOriginFailure().getValue() : lo.enforcing())));
        } catch (IllegalArgumentException e) {
            throw invalid(name, "outlier_detection", e.getMessage());
        }
    }

    private static CircuitBreakerLimits limits(Cluster c) throws InvalidResourceException {
        CircuitBreakerLimits d = CircuitBreakerLimits.DEFAULTS;
        if (!c.hasCircuitBreakers()) {
            return d;
        }
        for (CircuitBreakers.Thresholds t : c.getCircuitBreakers().getThresholdsList()) {
            if (t.getPriority() != RoutingPriority.DEFAULT) {
                continue;
            }
            double budget = -1;
            int minRetry = d.minRetryConcurrency();
            if (t.hasRetryBudget()) {
                var rb = t.getRetryBudget();
                budget = rb.hasBudgetPercent() ? rb.getBudgetPercent().getValue() : 20.0;
                minRetry = rb.hasMinRetryConcurrency() ? rb.getMinRetryConcurrency().getValue() : 3;
            }
            try {
                return new CircuitBreakerLimits(
                        t.hasMaxConnections() ? clamp(t.getMaxConnections().getValue()) : d.maxConnections(),
                        t.hasMaxPendingRequests() ? clamp(t.getMaxPendingRequests().getValue()) : d.maxPendingRequests(),
                        t.hasMaxRequests() ? clamp(t.getMaxRequests().getValue()) : d.maxRequests(),
                        t.hasMaxRetries() ? clamp(t.getMaxRetries().getValue()) : d.maxRetries(),
                        budget, minRetry);
            } catch (IllegalArgumentException e) {
                throw invalid(c.getName(), "circuit_breakers.thresholds", e.getMessage());
            }
        }
        return d;
    }

    private static int clamp(int unsigned) {
        return unsigned < 0 ? Integer.MAX_VALUE : unsigned;
    }

    /**
     * The {@code transport_socket_matches}, in order: names present and unique, labels of scalar values, each
     * transport socket read as the cluster's own {@code transport_socket} is (absent = plaintext).
     */
    private static List<TransportSocketMatch> socketMatches(Cluster c) throws InvalidResourceException {
        String name = c.getName();
        List<TransportSocketMatch> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < c.getTransportSocketMatchesCount(); i++) {
            Cluster.TransportSocketMatch m = c.getTransportSocketMatches(i);
            String f = "transport_socket_matches[" + i + "]";
            if (m.getName().isEmpty()) {
                throw invalid(name, f + ".name", "must not be empty");
            }
            if (!names.add(m.getName())) {
                throw invalid(name, f + ".name", "'" + m.getName() + "' names an earlier entry too");
            }
            SocketMatchLabels match = SocketMatchLabels.of(m.getMatch(), TypeUrls.CLUSTER, name, f + ".match");
            Optional<UpstreamTls> tls = m.hasTransportSocket()
                    ? tls(name, f + ".transport_socket", m.getTransportSocket()) : Optional.empty();
            out.add(new TransportSocketMatch(m.getName(), match, tls));
        }
        return out;
    }

    /**
     * Reads a transport socket of the cluster {@code name} found at {@code field}: TLS from an
     * {@code UpstreamTlsContext}, empty for {@code raw_buffer}; anything else is refused by its field.
     */
    private static Optional<UpstreamTls> tls(String name, String field, TransportSocket ts) throws InvalidResourceException {
        Any cfg = ts.getTypedConfig();
        if (cfg.getTypeUrl().endsWith("envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer")
                || ts.getName().equals("envoy.transport_sockets.raw_buffer")) {
            return Optional.empty();
        }
        if (!cfg.is(UpstreamTlsContext.class)) {
            throw invalid(name, field, "only " + TLS_SOCKET + " (UpstreamTlsContext) and raw_buffer are supported");
        }
        try {
            UpstreamTlsContext u = cfg.unpack(UpstreamTlsContext.class);
            if (u.getAllowRenegotiation() || u.hasMaxSessionKeys() && u.getMaxSessionKeys().getValue() > 1_000_000) {
                throw invalid(name, field + ".upstream_tls_context.allow_renegotiation", "not supported");
            }
            var origination = OriginationTranslator.translate(u.getCommonTlsContext());
            SanMatchers peers = origination.isPresent() ? SanMatchers.ANY
                    : TlsContextTranslator.expectedPeers(u.getCommonTlsContext());
            return Optional.of(new UpstreamTls(u.getSni(), peers, u.getCommonTlsContext().getAlpnProtocolsList(), origination));
        } catch (InvalidProtocolBufferException e) {
            throw invalid(name, field + ".typed_config", "cannot decode: " + e.getMessage());
        } catch (UnsupportedFieldException e) {
            throw invalid(name, field + ".common_tls_context." + e.field(), e.getMessage());
        }
    }

    /** The upstream HTTP protocol; {@code mayUseTls}: the cluster's own transport socket or a socket match has TLS. */
    private static ClusterConfig.UpstreamProtocol protocol(Cluster c, boolean mayUseTls, Optional<HttpProtocolOptions> typed)
            throws InvalidResourceException {
        if (c.hasHttp2ProtocolOptions()) {
            return ClusterConfig.UpstreamProtocol.HTTP_2;
        }
        if (typed.isEmpty()) {
            return ClusterConfig.UpstreamProtocol.HTTP_1_1;
        }
        HttpProtocolOptions h = typed.get();
        return switch (h.getUpstreamProtocolOptionsCase()) {
            case EXPLICIT_HTTP_CONFIG -> {
                if (h.getExplicitHttpConfig().hasHttp3ProtocolOptions()) {
                    throw invalid(c.getName(), "typed_extension_protocol_options.explicit_http_config.http3_protocol_options",
                            "HTTP/3 upstreams are not supported");
                }
                yield h.getExplicitHttpConfig().hasHttp2ProtocolOptions()
                        ? ClusterConfig.UpstreamProtocol.HTTP_2 : ClusterConfig.UpstreamProtocol.HTTP_1_1;
            }
            // ALPN needs TLS: a plaintext auto_config cluster speaks HTTP/1.1, as Envoy's does
            case AUTO_CONFIG -> mayUseTls ? ClusterConfig.UpstreamProtocol.AUTO : ClusterConfig.UpstreamProtocol.HTTP_1_1;
            case USE_DOWNSTREAM_PROTOCOL_CONFIG, UPSTREAMPROTOCOLOPTIONS_NOT_SET -> ClusterConfig.UpstreamProtocol.HTTP_1_1;
        };
    }

    /** The cluster's {@code HttpProtocolOptions} extension, empty when absent; other extensions are rejected. */
    private static Optional<HttpProtocolOptions> typedOptions(Cluster c) throws InvalidResourceException {
        for (String key : c.getTypedExtensionProtocolOptionsMap().keySet()) {
            if (!key.equals(HTTP_PROTOCOL_OPTIONS)) {
                throw invalid(c.getName(), "typed_extension_protocol_options[" + key + "]", "not supported");
            }
        }
        Any opts = c.getTypedExtensionProtocolOptionsMap().get(HTTP_PROTOCOL_OPTIONS);
        if (opts == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(opts.unpack(HttpProtocolOptions.class));
        } catch (InvalidProtocolBufferException e) {
            throw invalid(c.getName(), "typed_extension_protocol_options", "cannot decode: " + e.getMessage());
        }
    }

    /**
     * The connection lifetimes of {@code common_http_protocol_options}: from the typed extension or
     * the deprecated {@code Cluster} fields (not both); fields the proxy cannot honour are rejected.
     */
    private static ConnectionLifetime lifetime(Cluster c, Optional<HttpProtocolOptions> typed) throws InvalidResourceException {
        String name = c.getName();
        boolean typedCommon = typed.isPresent() && typed.get().hasCommonHttpProtocolOptions();
        if (typedCommon && c.hasCommonHttpProtocolOptions()) {
            throw invalid(name, "common_http_protocol_options",
                    "set both on the cluster (deprecated) and in typed_extension_protocol_options; keep only the latter");
        }
        io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions common;
        String field;
        if (typedCommon) {
            common = typed.get().getCommonHttpProtocolOptions();
            field = "typed_extension_protocol_options.common_http_protocol_options";
        } else {
            common = c.getCommonHttpProtocolOptions();
            field = "common_http_protocol_options";
        }
        if (common.hasMaxConnectionDuration()) {
            throw invalid(name, field + ".max_connection_duration", "not supported");
        }
        if (common.hasMaxHeadersCount()) {
            throw invalid(name, field + ".max_headers_count", "not supported");
        }
        if (common.hasMaxStreamDuration()) {
            throw invalid(name, field + ".max_stream_duration", "not supported");
        }
        if (common.getHeadersWithUnderscoresActionValue() != 0) {
            throw invalid(name, field + ".headers_with_underscores_action", "not supported");
        }
        if (common.hasMaxResponseHeadersKb()) {
            throw invalid(name, field + ".max_response_headers_kb", "not supported");
        }
        Duration idle = ClusterConfig.DEFAULT_IDLE_TIMEOUT;
        if (common.hasIdleTimeout()) {
            idle = duration(common.getIdleTimeout(), name, field + ".idle_timeout");
        }
        if (common.hasMaxRequestsPerConnection() && c.hasMaxRequestsPerConnection()) {
            throw invalid(name, "max_requests_per_connection",
                    "set both on the cluster (deprecated) and in " + field + "; keep only the latter");
        }
        int maxRequests = common.hasMaxRequestsPerConnection() ? common.getMaxRequestsPerConnection().getValue()
                : c.hasMaxRequestsPerConnection() ? c.getMaxRequestsPerConnection().getValue() : 0;
        if (maxRequests < 0) {
            throw invalid(name, field + ".max_requests_per_connection", "too large");
        }
        return new ConnectionLifetime(idle, maxRequests);
    }

    /** The lifetime settings of one cluster's upstream connections. */
    private record ConnectionLifetime(Duration idleTimeout, int maxRequestsPerConnection) {
    }

    /** Reads a duration of the cluster {@code name}, refusing a negative, malformed or too long one by its field. */
    static Duration duration(com.google.protobuf.Duration d, String name, String field) throws InvalidResourceException {
        return ResourceDurations.of(d, TypeUrls.CLUSTER, name, field);
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.CLUSTER, name, field, reason);
    }
}
