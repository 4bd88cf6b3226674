package io.isthmus.sidecar.listener;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.filter.Direction;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.filter.RbacPolicy;
import io.isthmus.sidecar.filter.RbacTranslator;
import io.isthmus.sidecar.filter.TcpChain;
import io.isthmus.sidecar.route.RouteTable;
import io.isthmus.sidecar.route.RouteTranslator;
import io.isthmus.sidecar.tls.TlsContextTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Translates an LDS {@code Listener} into a {@link ListenerConfig}. Honoured: a socket address, one
 * filter chain (or Istio's PERMISSIVE pair of a {@code tls} and a {@code raw_buffer} chain with the
 * same filters), an optional {@code DownstreamTlsContext}, network RBAC filters followed by an HTTP
 * connection manager or a TCP proxy. Listeners with an {@code api_listener} are for proxyless
 * clients and yield nothing here.
 */
public final class ListenerTranslator {

    private static final String HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
    private static final String TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
    private static final String NETWORK_RBAC = "envoy.extensions.filters.network.rbac.v3.RBAC";
    private static final String HTTP_RBAC = "envoy.extensions.filters.http.rbac.v3.RBAC";
    private static final String HTTP_FAULT = "envoy.extensions.filters.http.fault.v3.HTTPFault";
    private static final String ROUTER = "envoy.extensions.filters.http.router.v3.Router";
    private static final Set<String> HARMLESS_LISTENER_FILTERS = Set.of(
            "envoy.filters.listener.tls_inspector", "envoy.filters.listener.http_inspector");

    private ListenerTranslator() {
    }

    /** Translates one listener; empty for API listeners, which bind nothing. */
    public static Optional<ListenerConfig> translate(Listener l) throws InvalidResourceException {
        String name = l.getName();
        if (name.isEmpty()) {
            throw invalid("", "name", "must not be empty");
        }
        if (l.hasApiListener()) {
            return Optional.empty();
        }
        if (l.hasInternalListener() || l.hasUdpListenerConfig() || l.getAdditionalAddressesCount() > 0) {
            throw invalid(name, "listener_specifier", "only TCP socket listeners are supported");
        }
        if (l.hasUseOriginalDst() && l.getUseOriginalDst().getValue()) {
            throw invalid(name, "use_original_dst", "transparent capture is not supported by this listener kind");
        }
        if (l.hasFilterChainMatcher()) {
            throw invalid(name, "filter_chain_matcher", "not supported; use filter_chain_match");
        }
        for (int i = 0; i < l.getListenerFiltersCount(); i++) {
            String lf = l.getListenerFilters(i).getName();
            if (!HARMLESS_LISTENER_FILTERS.contains(lf)) {
                throw invalid(name, "listener_filters[" + i + "]", "listener filter '" + lf + "' is not supported");
            }
        }
        EndpointAddress address;
        try {
            address = EndpointTranslator.address(name, "address", l.getAddress());
        } catch (InvalidResourceException e) {
            throw invalid(name, e.field(), e.reason());
        }
        Direction direction = l.getTrafficDirection() == TrafficDirection.INBOUND ? Direction.INBOUND
                : l.getTrafficDirection() == TrafficDirection.OUTBOUND ? Direction.OUTBOUND
                : name.startsWith("inbound") || name.startsWith("virtualInbound") ? Direction.INBOUND : Direction.OUTBOUND;
        List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
        if (l.hasDefaultFilterChain()) {
            chains.add(l.getDefaultFilterChain());
        }
        if (chains.isEmpty()) {
            throw invalid(name, "filter_chains", "must not be empty");
        }
        FilterChain tlsChain = null;
        FilterChain plainChain = null;
        for (int i = 0; i < chains.size(); i++) {
            FilterChain fc = chains.get(i);
            String f = "filter_chains[" + i + "]";
            checkMatch(name, f + ".filter_chain_match", fc.getFilterChainMatch());
            if (fc.hasTransportSocket()) {
                if (tlsChain != null) {
                    throw invalid(name, f, "only one TLS filter chain is supported");
                }
                tlsChain = fc;
            } else {
                if (plainChain != null) {
                    throw invalid(name, f, "only one plaintext filter chain is supported");
                }
                plainChain = fc;
            }
        }
        DownstreamTlsMode mode = DownstreamTlsMode.NONE;
        boolean plaintextToo = false;
        FilterChain main;
        if (tlsChain != null) {
            mode = tlsMode(name, tlsChain);
            main = tlsChain;
            if (plainChain != null) {
                if (!plainChain.getFiltersList().equals(tlsChain.getFiltersList())) {
                    throw invalid(name, "filter_chains", "TLS and plaintext chains must carry the same filters");
                }
                mode = DownstreamTlsMode.PERMISSIVE;
                plaintextToo = true;
            }
        } else {
            main = plainChain;
        }
        List<RbacPolicy> networkRbac = new ArrayList<>();
        Optional<HttpChain> http = Optional.empty();
        Optional<TcpChain> tcp = Optional.empty();
        for (int i = 0; i < main.getFiltersCount(); i++) {
            Filter filter = main.getFilters(i);
            String f = "filter_chains.filters[" + i + "]";
            Any cfg = filter.getTypedConfig();
            String type = cfg.getTypeUrl().substring(cfg.getTypeUrl().lastIndexOf('/') + 1);
            boolean last = i == main.getFiltersCount() - 1;
            try {
                switch (type) {
                    case NETWORK_RBAC -> {
                        var r = cfg.unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
                        if (r.hasMatcher()) {
                            throw invalid(name, f + ".matcher", "matcher-based RBAC is not supported; use rules");
                        }
                        if (r.hasRules()) {
                            networkRbac.add(RbacTranslator.translate(r.getRules(), "rules"));
                        }
                    }
                    case HCM -> {
                        if (!last) {
                            throw invalid(name, f, "the HTTP connection manager must be the last filter");
                        }
                        http = Optional.of(hcm(name, f + ".typed_config", cfg.unpack(HttpConnectionManager.class), networkRbac));
                    }
                    case TCP_PROXY -> {
                        if (!last) {
                            throw invalid(name, f, "tcp_proxy must be the last filter");
                        }
                        TcpProxy tp = cfg.unpack(TcpProxy.class);
                        if (!tp.hasCluster() || tp.hasTunnelingConfig() || tp.hasOnDemand() || tp.hasMetadataMatch()) {
                            throw invalid(name, f + ".typed_config", "only tcp_proxy with a single cluster is supported");
                        }
                        tcp = Optional.of(new TcpChain(tp.getStatPrefix(), tp.getCluster(), networkRbac));
                    }
                    default -> throw invalid(name, f, "network filter '" + filter.getName() + "' (" + type + ") is not supported");
                }
            } catch (InvalidProtocolBufferException e) {
                throw invalid(name, f + ".typed_config", "cannot decode: " + e.getMessage());
            } catch (UnsupportedFieldException e) {
                throw invalid(name, f + ".typed_config." + e.field(), e.getMessage());
            }
        }
        if (http.isEmpty() && tcp.isEmpty()) {
            throw invalid(name, "filter_chains.filters", "needs an http_connection_manager or tcp_proxy as last filter");
        }
        return Optional.of(new ListenerConfig(name, address, direction, mode, plaintextToo, http, tcp));
    }

    private static void checkMatch(String name, String f, FilterChainMatch m) throws InvalidResourceException {
        FilterChainMatch onlyTransport = FilterChainMatch.newBuilder().setTransportProtocol(m.getTransportProtocol()).build();
        if (!m.equals(onlyTransport)) {
            throw invalid(name, f, "only transport_protocol may be matched on");
        }
    }

    private static DownstreamTlsMode tlsMode(String name, FilterChain fc) throws InvalidResourceException {
        Any cfg = fc.getTransportSocket().getTypedConfig();
        if (!cfg.is(DownstreamTlsContext.class)) {
            throw invalid(name, "filter_chains.transport_socket", "only envoy.transport_sockets.tls (DownstreamTlsContext) is supported");
        }
        try {
            DownstreamTlsContext d = cfg.unpack(DownstreamTlsContext.class);
            if (d.hasRequireSni() && d.getRequireSni().getValue()) {
                throw invalid(name, "filter_chains.transport_socket.require_sni", "not supported");
            }
            TlsContextTranslator.expectedPeers(d.getCommonTlsContext());
            return d.hasRequireClientCertificate() && d.getRequireClientCertificate().getValue()
                    ? DownstreamTlsMode.STRICT : DownstreamTlsMode.PERMISSIVE;
        } catch (InvalidProtocolBufferException e) {
            throw invalid(name, "filter_chains.transport_socket.typed_config", "cannot decode: " + e.getMessage());
        } catch (UnsupportedFieldException e) {
            throw invalid(name, "filter_chains.transport_socket.common_tls_context." + e.field(), e.getMessage());
        }
    }

    private static HttpChain hcm(String name, String f, HttpConnectionManager h, List<RbacPolicy> networkRbac)
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
        boolean router = false;
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
                case ROUTER -> router = true;
                case HTTP_RBAC -> {
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
                case HTTP_FAULT -> {
                    HTTPFault fault = hf.getTypedConfig().unpack(HTTPFault.class);
                    if (fault.hasDelay() || fault.hasAbort()) {
                        throw invalid(name, ff, "listener-wide faults are not supported; put HTTPFault in the route's typed_per_filter_config");
                    }
                }
                default -> {
                    if (!hf.getIsOptional()) {
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
        return new HttpChain(h.getStatPrefix(), rds, inline, rbac, xfcc);
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.LISTENER, name, field, reason);
    }
}
