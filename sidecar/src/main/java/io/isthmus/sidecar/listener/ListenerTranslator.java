package io.isthmus.sidecar.listener;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.filter.ConnectionLimit;
import io.isthmus.sidecar.filter.Direction;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.filter.RbacPolicy;
import io.isthmus.sidecar.filter.RbacTranslator;
import io.isthmus.sidecar.filter.TcpChain;
import io.isthmus.sidecar.tls.DownstreamTls;
import io.isthmus.sidecar.tls.DownstreamTlsTranslator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Translates an LDS {@code Listener} into a {@link ListenerConfig}. Honoured: a socket address; filter
 * chains matched on {@code server_names} (exact and {@code *.suffix}) and {@code transport_protocol}
 * (Istio's PERMISSIVE pair of a {@code tls} and a {@code raw_buffer} chain with the same filters is
 * served on one socket as before); per chain an optional {@code DownstreamTlsContext} (SDS secrets),
 * then the network filters {@code connection_limit} and RBAC followed by an HTTP connection manager
 * or a TCP proxy (to one cluster, or to weighted clusters picked per connection:
 * {@link TcpProxyTranslator}); transparent capture, TPROXY ({@code transparent}) or REDIRECT ({@code use_original_dst}
 * or the {@code original_dst} listener filter without {@code transparent}), {@code bind_to_port: false},
 * with chains also matched on {@code destination_port} and {@code prefix_ranges}. Listeners with an {@code api_listener} are for proxyless
 * clients and yield nothing here.
 */
public final class ListenerTranslator {

    private static final String HCM = "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
    private static final String TCP_PROXY = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
    private static final String NETWORK_RBAC = "envoy.extensions.filters.network.rbac.v3.RBAC";
    private static final String CONNECTION_LIMIT = "envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit";
    /** Envoy's listener filter that restores the original destination (makes the listener a capture socket). */
    private static final String ORIGINAL_DST_FILTER = "envoy.filters.listener.original_dst";
    private static final Set<String> HARMLESS_LISTENER_FILTERS = Set.of(
            "envoy.filters.listener.tls_inspector", "envoy.filters.listener.http_inspector", ORIGINAL_DST_FILTER);

    private ListenerTranslator() {
    }

    /** Translates one listener; empty for API listeners, which bind nothing. */
    public static Optional<ListenerConfig> translate(Listener l) throws InvalidResourceException {
        return translate(l, System::nanoTime);
    }

    /** Translates one listener, rate limit buckets reading time from {@code nanoClock}. */
    public static Optional<ListenerConfig> translate(Listener l, LongSupplier nanoClock) throws InvalidResourceException {
        String name = l.getName();
        if (name.isEmpty()) {
            throw invalid("", "name", "must not be empty");
        }
        if (l.hasApiListener()) {
            return Optional.empty();
        }
        if (l.hasInternalListener() || l.hasUdpListenerConfig()) {
            throw invalid(name, "listener_specifier", "only TCP socket listeners are supported");
        }
        ListenerConfig.Binding binding = binding(l);
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
        address = dualStack(l, address, binding);
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
        List<FilterChainConfig> configs = new ArrayList<>();
        Set<String> matches = new HashSet<>();
        for (int i = 0; i < chains.size(); i++) {
            String f = i == l.getFilterChainsCount() ? "default_filter_chain" : "filter_chains[" + i + "]";
            FilterChainConfig c = chain(name, f, chains.get(i), nanoClock);
            List<String> names = c.serverNames().isEmpty() ? List.of("") : c.serverNames();
            List<String> ranges = c.prefixRanges().isEmpty() ? List.of("") : c.prefixRanges().stream().map(PrefixRange::toString).toList();
            for (String n : names) {
                for (String r : ranges) {
                    if (!matches.add(c.destinationPort() + "|" + r + "|" + n + "|" + c.transportProtocol())) {
                        throw invalid(name, f + ".filter_chain_match", "another filter chain has the same match (destination port "
                                + c.destinationPort() + ", prefix range '" + r + "', server name '"
                                + n + "', transport protocol '" + c.transportProtocol() + "')");
                    }
                }
            }
            configs.add(c);
        }
        ListenerConfig.Serving serving = binding == ListenerConfig.Binding.BOUND ? serving(chains, configs)
                : ListenerConfig.Serving.BY_SERVER_NAME;
        if (serving == ListenerConfig.Serving.PERMISSIVE && configs.get(0).tls().isEmpty()) {
            configs = List.of(configs.get(1), configs.get(0));
        }
        ListenerConfig.Interception interception = !binding.captures() ? ListenerConfig.Interception.NONE
                : l.hasTransparent() && l.getTransparent().getValue() ? ListenerConfig.Interception.TPROXY
                : ListenerConfig.Interception.REDIRECT;
        return Optional.of(new ListenerConfig(name, address, direction, configs, serving, binding, interception));
    }

    /**
     * How connections reach the listener: {@code use_original_dst}, {@code transparent} or the
     * {@code original_dst} listener filter make a capture socket (TPROXY or REDIRECT),
     * {@code bind_to_port: false} a listener that only takes hand-offs.
     */
    private static ListenerConfig.Binding binding(Listener l) throws InvalidResourceException {
        boolean originalDst = l.hasUseOriginalDst() && l.getUseOriginalDst().getValue();
        boolean transparent = l.hasTransparent() && l.getTransparent().getValue()
                || l.getListenerFiltersList().stream().anyMatch(f -> f.getName().equals(ORIGINAL_DST_FILTER));
        boolean notBound = l.hasBindToPort() && !l.getBindToPort().getValue();
        if (notBound && (originalDst || transparent)) {
            throw invalid(l.getName(), "bind_to_port",
                    "a listener that is not bound cannot be transparent, use_original_dst or have the original_dst listener filter");
        }
        if (l.hasFreebind() && l.getFreebind().getValue()) {
            throw invalid(l.getName(), "freebind", "not supported");
        }
        if (originalDst) {
            return ListenerConfig.Binding.ORIGINAL_DST;
        }
        return transparent ? ListenerConfig.Binding.TRANSPARENT
                : notBound ? ListenerConfig.Binding.NOT_BOUND : ListenerConfig.Binding.BOUND;
    }

    /**
     * Istio's dual-stack capture listeners: {@code 0.0.0.0:P} with {@code additional_addresses}
     * {@code [::]:P} are served by one dual-stack socket at {@code [::]:P} (IPv4 connections arrive
     * on it as IPv4-mapped). Any other use of {@code additional_addresses} is rejected.
     */
    private static EndpointAddress dualStack(Listener l, EndpointAddress address, ListenerConfig.Binding binding)
            throws InvalidResourceException {
        if (l.getAdditionalAddressesCount() == 0) {
            return address;
        }
        if (!binding.captures() || !address.host().equals("0.0.0.0")) {
            throw invalid(l.getName(), "additional_addresses", "only a capture listener at 0.0.0.0 may have additional addresses");
        }
        for (int i = 0; i < l.getAdditionalAddressesCount(); i++) {
            EndpointAddress extra;
            try {
                extra = EndpointTranslator.address(l.getName(), "additional_addresses[" + i + "].address",
                        l.getAdditionalAddresses(i).getAddress());
            } catch (InvalidResourceException e) {
                throw invalid(l.getName(), e.field(), e.reason());
            }
            if (!(extra.host().equals("::") || extra.host().equals("0:0:0:0:0:0:0:0")) || extra.port() != address.port()
                    || l.getAdditionalAddresses(i).hasSocketOptions()) {
                throw invalid(l.getName(), "additional_addresses[" + i + "]",
                        "only [::] with the listener's own port is supported (one dual-stack capture socket)");
            }
        }
        return new EndpointAddress("::", address.port());
    }

    private static ListenerConfig.Serving serving(List<FilterChain> chains, List<FilterChainConfig> configs) {
        boolean anyNames = configs.stream().anyMatch(c -> !c.serverNames().isEmpty());
        if (configs.stream().anyMatch(c -> c.connectionLimit().isPresent() || c.matchesDestination())) {
            // counted at accept by the front socket (an HTTP server sees a connection only once it speaks)
            return ListenerConfig.Serving.BY_SERVER_NAME;
        }
        if (configs.size() == 1 && !anyNames) {
            return ListenerConfig.Serving.DIRECT;
        }
        if (oneTlsServer(configs)) {
            return ListenerConfig.Serving.SNI;
        }
        if (configs.size() == 2 && !anyNames && configs.get(0).tls().isPresent() != configs.get(1).tls().isPresent()) {
            FilterChain tls = configs.get(0).tls().isPresent() ? chains.get(0) : chains.get(1);
            FilterChain plain = configs.get(0).tls().isPresent() ? chains.get(1) : chains.get(0);
            if (plain.getFiltersList().equals(tls.getFiltersList())) {
                return ListenerConfig.Serving.PERMISSIVE;
            }
        }
        return ListenerConfig.Serving.BY_SERVER_NAME;
    }

    /**
     * Whether one TLS server can serve every chain, choosing the certificate by server name in the
     * handshake: all chains terminate TLS for HTTP with one client-certificate policy and header
     * limit, and name their hosts exactly (a wildcard would let clients make the server build a TLS
     * context per name they invent).
     */
    private static boolean oneTlsServer(List<FilterChainConfig> configs) {
        FilterChainConfig first = configs.get(0);
        if (first.tls().isEmpty()) {
            return false;
        }
        for (FilterChainConfig c : configs) {
            if (c.tls().isEmpty() || c.http().isEmpty() || c.transportProtocol().equals("raw_buffer")
                    || c.serverNames().stream().anyMatch(n -> n.startsWith("*"))
                    || c.maxHeaderBytes() != first.maxHeaderBytes()
                    || c.tls().get().clientCertificate() != first.tls().get().clientCertificate()
                    || !c.tls().get().validationSecret().equals(first.tls().get().validationSecret())
                    || !c.tls().get().alpn().equals(first.tls().get().alpn())) {
                return false;
            }
        }
        return true;
    }

    private static FilterChainConfig chain(String name, String f, FilterChain fc, LongSupplier nanoClock)
            throws InvalidResourceException {
        FilterChainMatch m = fc.getFilterChainMatch();
        FilterChainMatch.Builder supported = FilterChainMatch.newBuilder().setTransportProtocol(m.getTransportProtocol())
                .addAllServerNames(m.getServerNamesList()).addAllPrefixRanges(m.getPrefixRangesList());
        if (m.hasDestinationPort()) {
            supported.setDestinationPort(m.getDestinationPort());
        }
        if (!m.equals(supported.build())) {
            throw invalid(name, f + ".filter_chain_match",
                    "only destination_port, prefix_ranges, server_names and transport_protocol may be matched on");
        }
        int destinationPort = m.hasDestinationPort() ? m.getDestinationPort().getValue() : 0;
        if (destinationPort < 0 || destinationPort > 65535) {
            throw invalid(name, f + ".filter_chain_match.destination_port", "must be 1..65535, got " + destinationPort);
        }
        List<PrefixRange> prefixRanges = new ArrayList<>();
        for (int i = 0; i < m.getPrefixRangesCount(); i++) {
            var r = m.getPrefixRanges(i);
            try {
                String a = r.getAddressPrefix();
                int len = r.hasPrefixLen() ? r.getPrefixLen().getValue() : (a.indexOf(':') >= 0 ? 128 : 32);
                prefixRanges.add(PrefixRange.of(a, len));
            } catch (IllegalArgumentException e) {
                throw invalid(name, f + ".filter_chain_match.prefix_ranges[" + i + "]", e.getMessage());
            }
        }
        String transport = m.getTransportProtocol();
        if (!transport.isEmpty() && !transport.equals("tls") && !transport.equals("raw_buffer")) {
            throw invalid(name, f + ".filter_chain_match.transport_protocol", "only tls or raw_buffer, got '" + transport + "'");
        }
        List<String> serverNames = new ArrayList<>();
        for (int i = 0; i < m.getServerNamesCount(); i++) {
            String sn = m.getServerNames(i).toLowerCase(Locale.ROOT);
            boolean wildcard = sn.startsWith("*.") && sn.length() > 2 && sn.indexOf('*', 1) < 0;
            if (sn.isEmpty() || (sn.contains("*") && !wildcard)) {
                throw invalid(name, f + ".filter_chain_match.server_names[" + i + "]",
                        "'" + m.getServerNames(i) + "' is neither a host name nor a *.suffix wildcard");
            }
            serverNames.add(sn);
        }
        Optional<DownstreamTls> tls = Optional.empty();
        if (fc.hasTransportSocket()) {
            tls = Optional.of(tls(name, f + ".transport_socket", fc));
        }
        List<RbacPolicy> networkRbac = new ArrayList<>();
        Optional<HttpChain> http = Optional.empty();
        Optional<TcpChain> tcp = Optional.empty();
        Optional<ConnectionLimit> limit = Optional.empty();
        for (int i = 0; i < fc.getFiltersCount(); i++) {
            Filter filter = fc.getFilters(i);
            String ff = f + ".filters[" + i + "]";
            Any cfg = filter.getTypedConfig();
            String type = cfg.getTypeUrl().substring(cfg.getTypeUrl().lastIndexOf('/') + 1);
            boolean last = i == fc.getFiltersCount() - 1;
            try {
                switch (type) {
                    case CONNECTION_LIMIT -> {
                        if (limit.isPresent()) {
                            throw invalid(name, ff, "only one connection_limit filter per chain is supported");
                        }
                        var cl = cfg.unpack(io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit.class);
                        if (!cl.hasMaxConnections() || cl.getMaxConnections().getValue() < 1) {
                            throw invalid(name, ff + ".typed_config.max_connections", "must be set and at least 1");
                        }
                        if (cl.hasDelay() && (cl.getDelay().getSeconds() > 0 || cl.getDelay().getNanos() > 0)) {
                            throw invalid(name, ff + ".typed_config.delay", "a delay before closing is not supported");
                        }
                        if (cl.hasRuntimeEnabled()) {
                            throw invalid(name, ff + ".typed_config.runtime_enabled", "runtime flags are not supported");
                        }
                        limit = Optional.of(ConnectionLimit.of(cl.getStatPrefix(), cl.getMaxConnections().getValue()));
                    }
                    case NETWORK_RBAC -> {
                        var r = cfg.unpack(io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.class);
                        if (r.hasMatcher()) {
                            throw invalid(name, ff + ".matcher", "matcher-based RBAC is not supported; use rules");
                        }
                        if (r.hasRules()) {
                            networkRbac.add(RbacTranslator.translate(r.getRules(), "rules"));
                        }
                    }
                    case HCM -> {
                        if (!last) {
                            throw invalid(name, ff, "the HTTP connection manager must be the last filter");
                        }
                        http = Optional.of(HcmTranslator.translate(name, ff + ".typed_config",
                                cfg.unpack(HttpConnectionManager.class), networkRbac, nanoClock));
                    }
                    case TCP_PROXY -> {
                        if (!last) {
                            throw invalid(name, ff, "tcp_proxy must be the last filter");
                        }
                        tcp = Optional.of(TcpProxyTranslator.translate(name, ff + ".typed_config", cfg.unpack(TcpProxy.class),
                                networkRbac));
                    }
                    default -> throw invalid(name, ff, "network filter '" + filter.getName() + "' (" + type + ") is not supported");
                }
            } catch (InvalidProtocolBufferException e) {
                throw invalid(name, ff + ".typed_config", "cannot decode: " + e.getMessage());
            } catch (UnsupportedFieldException e) {
                throw invalid(name, ff + ".typed_config." + e.field(), e.getMessage());
            }
        }
        if (http.isEmpty() && tcp.isEmpty()) {
            throw invalid(name, f + ".filters", "needs an http_connection_manager or tcp_proxy as last filter");
        }
        String chainName = fc.getName().isEmpty() ? f : fc.getName();
        return new FilterChainConfig(chainName, serverNames, transport, tls, http, tcp, limit, destinationPort, prefixRanges);
    }

    private static DownstreamTls tls(String name, String f, FilterChain fc) throws InvalidResourceException {
        Any cfg = fc.getTransportSocket().getTypedConfig();
        if (!cfg.is(DownstreamTlsContext.class)) {
            throw invalid(name, f, "only envoy.transport_sockets.tls (DownstreamTlsContext) is supported");
        }
        try {
            return DownstreamTlsTranslator.translate(cfg.unpack(DownstreamTlsContext.class));
        } catch (InvalidProtocolBufferException e) {
            throw invalid(name, f + ".typed_config", "cannot decode: " + e.getMessage());
        } catch (UnsupportedFieldException e) {
            throw invalid(name, f + ".typed_config." + e.field(), e.getMessage());
        }
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.LISTENER, name, field, reason);
    }
}
