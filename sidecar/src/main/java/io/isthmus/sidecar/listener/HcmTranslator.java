package io.isthmus.sidecar.listener;

import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.filter.InternalAddresses;
import io.isthmus.sidecar.filter.LocalRateLimit;
import io.isthmus.sidecar.filter.RbacPolicy;
import io.isthmus.sidecar.filter.RbacTranslator;
import io.isthmus.sidecar.route.RouteTable;
import io.isthmus.sidecar.route.RouteTranslator;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Translates an {@code HttpConnectionManager} into an {@link HttpChain}. Honoured: RDS over ADS or
 * an inline route configuration, the HTTP filters RBAC, local rate limit, CORS and fault (both per route), Istio's
 * peer metadata exchange ({@link PeerExchangeTranslator}) and the router (last), {@code forward_client_cert_details},
 * {@code use_remote_address}, {@code xff_num_trusted_hops}, {@code internal_address_config} (who may steer the router with
 * {@code x-envoy-*} headers), {@code max_request_headers_kb} and the router's {@code suppress_envoy_headers}.
 */
final class HcmTranslator {

    private static final String HTTP_RBAC = "envoy.extensions.filters.http.rbac.v3.RBAC";
    private static final String HTTP_FAULT = "envoy.extensions.filters.http.fault.v3.HTTPFault";
    private static final String HTTP_CORS = "envoy.extensions.filters.http.cors.v3.Cors";
    private static final String LOCAL_RATE_LIMIT = "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
    private static final String ROUTER = "envoy.extensions.filters.http.router.v3.Router";

    private HcmTranslator() {
    }

    static HttpChain translate(String name, String f, HttpConnectionManager h, List<RbacPolicy> networkRbac, LongSupplier nanoClock)
            throws InvalidResourceException, InvalidProtocolBufferException, UnsupportedFieldException {
        if (h.hasScopedRoutes()) {
            throw invalid(name, f + ".scoped_routes", "not supported");
        }
        if (h.getUpgradeConfigsCount() > 0) {
            throw invalid(name, f + ".upgrade_configs", "protocol upgrades (websocket, CONNECT) are not supported");
        }
        if (h.getCodecType() == HttpConnectionManager.CodecType.HTTP3) {
            throw invalid(name, f + ".codec_type", "HTTP/3 is not supported");
        }
        String rds = "";
        Optional<RouteTable> inline = Optional.empty();
        switch (h.getRouteSpecifierCase()) {
            case RDS -> {
                var src = h.getRds().getConfigSource();
                if (h.getRds().hasConfigSource() && !src.hasAds() && !src.hasSelf()) {
                    throw invalid(name, f + ".rds.config_source", "only ADS is supported");
                }
                rds = h.getRds().getRouteConfigName();
                if (rds.isEmpty()) {
                    throw invalid(name, f + ".rds.route_config_name", "must not be empty");
                }
            }
            case ROUTE_CONFIG -> {
                try {
                    inline = Optional.of(RouteTranslator.translate(h.getRouteConfig()));
                } catch (InvalidResourceException e) {
                    throw invalid(name, f + ".route_config." + e.field(), e.reason());
                }
            }
            default -> throw invalid(name, f, "needs rds or route_config");
        }
        List<RbacPolicy> rbac = new ArrayList<>(networkRbac);
        Optional<LocalRateLimit> rateLimit = Optional.empty();
        boolean router = false;
        boolean fault = false;
        HttpChain.Cors cors = HttpChain.Cors.NONE;
        HttpChain.EnvoyHeaders envoyHeaders = HttpChain.EnvoyHeaders.SET;
        io.isthmus.sidecar.filter.PeerExchange peerExchange = null;
        for (int i = 0; i < h.getHttpFiltersCount(); i++) {
            HttpFilter hf = h.getHttpFilters(i);
            String ff = f + ".http_filters[" + i + "]";
            if (router) {
                throw invalid(name, ff, "the router must be the last HTTP filter");
            }
            if (hf.getDisabled()) {
                continue;
            }
            String type = hf.getTypedConfig().getTypeUrl();
            type = type.substring(type.lastIndexOf('/') + 1);
            switch (type) {
                case ROUTER -> {
                    router = true;
                    if (hf.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.class)
                            .getSuppressEnvoyHeaders()) {
                        envoyHeaders = HttpChain.EnvoyHeaders.SUPPRESSED;
                    }
                }
                case HTTP_RBAC -> {
                    beforeCors(name, ff, cors);
                    var r = hf.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class);
                    if (r.hasMatcher()) {
                        throw invalid(name, ff + ".matcher", "matcher-based RBAC is not supported; use rules");
                    }
                    if (r.hasRules()) {
                        try {
                            rbac.add(RbacTranslator.translate(r.getRules(), "rules"));
                        } catch (UnsupportedFieldException e) {
                            throw invalid(name, ff + ".typed_config." + e.field(), e.getMessage());
                        }
                    }
                }
                case LOCAL_RATE_LIMIT -> {
                    beforeCors(name, ff, cors);
                    if (rateLimit.isPresent()) {
                        throw invalid(name, ff, "only one local rate limit filter is supported");
                    }
                    var lr = hf.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit.class);
                    try {
                        rateLimit = LocalRateLimitTranslator.translate(lr, nanoClock);
                    } catch (UnsupportedFieldException e) {
                        throw invalid(name, ff + ".typed_config." + e.field(), e.getMessage());
                    }
                }
                case HTTP_FAULT -> {
                    HTTPFault listenerWide = hf.getTypedConfig().unpack(HTTPFault.class);
                    if (listenerWide.hasDelay() || listenerWide.hasAbort()) {
                        throw invalid(name, ff, "listener-wide faults are not supported; put HTTPFault in the route's typed_per_filter_config");
                    }
                    fault = true;
                }
                case HTTP_CORS -> {
                    if (cors != HttpChain.Cors.NONE) {
                        throw invalid(name, ff, "only one CORS filter is supported");
                    }
                    hf.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.class);
                    cors = fault ? HttpChain.Cors.AFTER_FAULT : HttpChain.Cors.BEFORE_FAULT;
                }
                default -> {
                    if (PeerExchangeTranslator.isTypedStruct(type) && PeerExchangeTranslator.isPeerMetadata(hf.getTypedConfig())) {
                        if (peerExchange != null) {
                            throw invalid(name, ff, "only one peer metadata exchange filter is supported");
                        }
                        try {
                            peerExchange = PeerExchangeTranslator.translate(hf.getTypedConfig());
                        } catch (UnsupportedFieldException e) {
                            throw invalid(name, ff + ".typed_config." + e.field(), e.getMessage());
                        }
                    } else if (!hf.getIsOptional()) {
                        throw invalid(name, ff, "HTTP filter '" + hf.getName() + "' (" + type + ") is not supported");
                    }
                }
            }
        }
        if (!router) {
            throw invalid(name, f + ".http_filters", "must end with envoy.filters.http.router");
        }
        HttpChain.ClientCertForwarding xfcc = switch (h.getForwardClientCertDetails()) {
            case SANITIZE -> HttpChain.ClientCertForwarding.SANITIZE;
            case FORWARD_ONLY -> HttpChain.ClientCertForwarding.FORWARD_ONLY;
            case APPEND_FORWARD -> HttpChain.ClientCertForwarding.APPEND_FORWARD;
            case SANITIZE_SET -> HttpChain.ClientCertForwarding.SANITIZE_SET;
            default -> throw invalid(name, f + ".forward_client_cert_details", h.getForwardClientCertDetails() + " is not supported");
        };
        checkEdgeFields(name, f, h);
        int maxHeaders = h.hasMaxRequestHeadersKb() ? h.getMaxRequestHeadersKb().getValue() * 1024
                : HttpChain.DEFAULT_MAX_REQUEST_HEADERS_BYTES;
        if (h.hasMaxRequestHeadersKb() && (h.getMaxRequestHeadersKb().getValue() < 1 || h.getMaxRequestHeadersKb().getValue() > 8192)) {
            throw invalid(name, f + ".max_request_headers_kb", "must be 1..8192");
        }
        boolean useRemote = h.hasUseRemoteAddress() && h.getUseRemoteAddress().getValue();
        return new HttpChain(h.getStatPrefix(), rds, inline, rbac, xfcc,
                new HttpChain.Forwarded(useRemote, h.getXffNumTrustedHops(), internalAddresses(name, f, h)), maxHeaders,
                rateLimit, envoyHeaders, peerExchange == null ? io.isthmus.sidecar.filter.PeerExchange.NONE : peerExchange, cors);
    }

    /** Refuses an RBAC or rate limit filter after the CORS filter: the proxy runs those first. */
    private static void beforeCors(String name, String f, HttpChain.Cors cors) throws InvalidResourceException {
        if (cors != HttpChain.Cors.NONE) {
            throw invalid(name, f, "RBAC and local rate limit filters must come before envoy.filters.http.cors (they run first here)");
        }
    }

    /** {@code internal_address_config}: which clients may steer the router with {@code x-envoy-*} headers. */
    private static InternalAddresses internalAddresses(String name, String f, HttpConnectionManager h)
            throws InvalidResourceException {
        if (!h.hasInternalAddressConfig()) {
            return InternalAddresses.NONE;
        }
        List<InternalAddresses.Cidr> ranges = new ArrayList<>();
        var cfg = h.getInternalAddressConfig();
        for (int i = 0; i < cfg.getCidrRangesCount(); i++) {
            var r = cfg.getCidrRanges(i);
            String rf = f + ".internal_address_config.cidr_ranges[" + i + "]";
            try {
                InternalAddresses.Cidr probe = InternalAddresses.Cidr.parse(r.getAddressPrefix(), 0);
                int len = r.hasPrefixLen() ? r.getPrefixLen().getValue() : probe.network().length * 8;
                ranges.add(new InternalAddresses.Cidr(probe.network(), len));
            } catch (IllegalArgumentException e) {
                throw invalid(name, rf, e.getMessage());
            }
        }
        return new InternalAddresses(true, ranges);
    }

    /** Fields of the connection manager an edge proxy may be sent, refused when set to what the proxy cannot do. */
    private static void checkEdgeFields(String name, String f, HttpConnectionManager h) throws InvalidResourceException {
        if (h.getOriginalIpDetectionExtensionsCount() > 0) {
            throw invalid(name, f + ".original_ip_detection_extensions", "not supported; use use_remote_address and xff_num_trusted_hops");
        }
        if (h.getSkipXffAppend()) {
            throw invalid(name, f + ".skip_xff_append", "not supported");
        }
        if (!h.getVia().isEmpty()) {
            throw invalid(name, f + ".via", "not supported");
        }
        if (h.hasCommonHttpProtocolOptions() && (h.getCommonHttpProtocolOptions().hasMaxHeadersCount()
                || h.getCommonHttpProtocolOptions().hasMaxRequestsPerConnection())) {
            throw invalid(name, f + ".common_http_protocol_options", "max_headers_count and max_requests_per_connection are not supported");
        }
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.LISTENER, name, field, reason);
    }
}
