package io.isthmus.controller.translate;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.RuntimeFractionalPercent;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.listener.v3.ListenerFilter;
import io.envoyproxy.envoy.config.route.v3.RateLimit;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.LocalRateLimitDescriptor;
import io.envoyproxy.envoy.extensions.common.ratelimit.v3.RateLimitDescriptor;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.envoyproxy.envoy.type.v3.TokenBucket;
import io.isthmus.controller.config.Gateway;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.VirtualService;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.translate.GatewayRoutes.Bound;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.XdsNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LDS (and, through {@link GatewayRoutes}, RDS) of an ingress or egress gateway: a router proxy
 * without {@code REQUESTED_NETWORK_VIEW}, configured by the Gateways whose selector matches its
 * labels. One listener {@code 0.0.0.0_P} per server port P with every selected server of P merged:
 * HTTP servers share one chain (RDS {@code http.P}); each HTTPS server is a chain matched on its
 * hosts as SNI that terminates TLS with SDS credentials; PASSTHROUGH servers get one TCP proxy
 * chain per VirtualService {@code tls} SNI host. A server whose protocol conflicts with the port's
 * first server (HTTP against TLS), or whose SNI names are already taken, is dropped with a warning.
 */
public final class GatewayTranslator {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayTranslator.class);
    /** Name of the connection limit network filter. */
    static final String CONNECTION_LIMIT = "envoy.filters.network.connection_limit";
    /** Name of the local rate limit HTTP filter. */
    static final String LOCAL_RATE_LIMIT = "envoy.filters.http.local_ratelimit";
    /** Header the proxy adds to rate-limited (429) responses. */
    static final String RATE_LIMITED_HEADER = "x-local-rate-limit";

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /**
     * A gateway's listeners and route configurations.
     *
     * @param listeners by name ({@code 0.0.0.0_P})
     * @param routes by name ({@code http.P}, {@code https.P.<portName>.<gw>.<ns>})
     */
    public record Result(SortedMap<String, Listener> listeners, SortedMap<String, RouteConfiguration> routes) {
    }

    /**
     * Translates the Gateways selecting a router proxy.
     *
     * @param labels the proxy's labels
     * @param proxyNamespace the proxy's namespace (AuthorizationPolicies of it and of the root apply)
     * @param cfg the mesh config
     * @param services every service by hostname (for destinations without a port)
     * @param rbac translator of the AuthorizationPolicies selecting the gateway
     * @param xffNumTrustedHops MeshConfig {@code gatewayTopology.numTrustedProxies}
     */
    public Result translate(Map<String, String> labels, String proxyNamespace, MeshConfig cfg,
            Map<String, FederatedService> services, RbacTranslator rbac, int xffNumTrustedHops) {
        TreeMap<Integer, List<Bound>> byPort = new TreeMap<>();
        TreeMap<Integer, Boolean> plainPort = new TreeMap<>();
        for (Gateway g : cfg.all(Gateway.class)) {
            if (!g.selects(labels)) {
                continue;
            }
            for (Gateway.Server s : g.servers()) {
                int p = s.port().number();
                boolean plain = s.port().protocol() == Gateway.Protocol.HTTP;
                Boolean first = plainPort.putIfAbsent(p, plain);
                if (first != null && first != plain) {
                    warnOnce(g.ref() + ": server on port " + p + " (" + s.port().protocol() + ") dropped: the port already"
                            + " serves " + (first ? "HTTP" : "TLS") + " from an earlier Gateway server");
                    continue;
                }
                byPort.computeIfAbsent(p, k -> new ArrayList<>()).add(new Bound(g, s));
            }
        }
        List<RBAC> authz = rbac.filters(cfg.authorizationPoliciesFor(proxyNamespace, labels));
        Hcm hcm = new Hcm(authz, xffNumTrustedHops);
        TreeMap<String, Listener> listeners = new TreeMap<>();
        TreeMap<String, RouteConfiguration> routes = new TreeMap<>();
        for (Map.Entry<Integer, List<Bound>> e : byPort.entrySet()) {
            int port = e.getKey();
            List<Bound> servers = e.getValue();
            Listener.Builder l = Listener.newBuilder()
                    .setName(XdsNames.anyAddressListener(port))
                    .setAddress(Envoy.address("0.0.0.0", port))
                    .setTrafficDirection(TrafficDirection.OUTBOUND);
            Gateway.Limits limits = servers.get(0).gateway().limits();
            if (plainPort.get(port)) {
                RouteConfiguration rc = GatewayRoutes.build(GatewayRoutes.httpName(port), port, servers, cfg, services);
                routes.put(rc.getName(), rc);
                l.addFilterChains(chain("http." + port, limits, hcm.filter(port, rc.getName(), limits, false)));
            } else {
                l.addListenerFilters(ListenerFilter.newBuilder().setName(Envoy.TLS_INSPECTOR)
                        .setTypedConfig(Envoy.any(TlsInspector.getDefaultInstance())));
                Set<String> taken = new HashSet<>();
                for (Bound b : servers) {
                    if (b.server().tlsMode() == Gateway.TlsMode.PASSTHROUGH) {
                        passthrough(port, b, cfg, services, taken, l);
                        continue;
                    }
                    List<String> names = serverNames(b.server(), proxyNamespace);
                    if (!claim(taken, names)) {
                        warnOnce(b.gateway().ref() + ": HTTPS server " + b.server().port().name() + " on port " + port
                                + " dropped: its hosts " + b.server().hostNames() + " are already served on this port");
                        continue;
                    }
                    RouteConfiguration rc = GatewayRoutes.build(GatewayRoutes.httpsName(b), port, List.of(b), cfg, services);
                    routes.put(rc.getName(), rc);
                    FilterChain.Builder fc = chain(rc.getName(), b.gateway().limits(),
                            hcm.filter(port, rc.getName(), b.gateway().limits(), b.server().tlsMode() == Gateway.TlsMode.ISTIO_MUTUAL))
                            .toBuilder()
                            .setTransportSocket(downstreamTls(b.server()));
                    if (!names.isEmpty()) {
                        fc.setFilterChainMatch(FilterChainMatch.newBuilder().addAllServerNames(names));
                    }
                    l.addFilterChains(fc);
                }
            }
            if (l.getFilterChainsCount() > 0) {
                listeners.put(l.getName(), l.build());
            }
        }
        return new Result(listeners, routes);
    }

    /**
     * The SNI names of a terminating server's chain: its hosts ({@code *} → none). An ISTIO_MUTUAL
     * server also matches the mesh SNI of services of the gateway's namespace
     * ({@code *.<ns>.svc.cluster.local}), since sidecars reach it as an ordinary mesh service
     * ({@code outbound_.443_._.istio-egressgateway.istio-system.svc.cluster.local}).
     */
    static List<String> serverNames(Gateway.Server s, String proxyNamespace) {
        if (s.hostNames().contains("*")) {
            return List.of();
        }
        List<String> names = new ArrayList<>(s.hostNames());
        if (s.tlsMode() == Gateway.TlsMode.ISTIO_MUTUAL && !proxyNamespace.isEmpty()) {
            String mesh = "*" + MeshLabels.serviceHostname("x", proxyNamespace).substring(1);
            if (!names.contains(mesh)) {
                names.add(mesh);
            }
        }
        return names;
    }

    /** The SDS names of a server's certificate and CA: {@code kubernetes://<credentialName>[-cacert]} or {@code default}/{@code ROOTCA}. */
    static List<String> secretNames(Gateway.Server s) {
        return switch (s.tlsMode()) {
            case SIMPLE -> List.of(credential(s.credentialName()));
            case MUTUAL -> List.of(credential(s.credentialName()), credential(s.credentialName() + "-cacert"));
            case ISTIO_MUTUAL -> List.of(XdsNames.WORKLOAD_SECRET, XdsNames.ROOT_SECRET);
            default -> List.of();
        };
    }

    /** The SDS name of a Kubernetes Secret. */
    public static String credential(String secretName) {
        return CredentialTranslator.PREFIX + secretName;
    }

    private static TransportSocket downstreamTls(Gateway.Server s) {
        List<String> names = secretNames(s);
        CommonTlsContext.Builder common = CommonTlsContext.newBuilder()
                .addTlsCertificateSdsSecretConfigs(Envoy.sds(names.get(0)))
                .addAlpnProtocols("h2").addAlpnProtocols("http/1.1");
        DownstreamTlsContext.Builder tls = DownstreamTlsContext.newBuilder();
        if (names.size() > 1) {
            common.setValidationContextSdsSecretConfig(Envoy.sds(names.get(1)));
            tls.setRequireClientCertificate(BoolValue.of(true));
        }
        tls.setCommonTlsContext(common);
        return TransportSocket.newBuilder().setName(Envoy.TLS).setTypedConfig(Envoy.any(tls.build())).build();
    }

    private void passthrough(int port, Bound b, MeshConfig cfg, Map<String, FederatedService> services, Set<String> taken,
            Listener.Builder l) {
        for (VirtualService vs : cfg.all(VirtualService.class)) {
            if (!vs.boundTo(b.namespace(), b.name())) {
                continue;
            }
            for (VirtualService.TlsRoute r : vs.tls()) {
                VirtualService.Destination d = GatewayRoutes.withPort(r.route().get(0).destination(), port, services);
                String cluster = GatewayRoutes.clusterOf(d);
                for (VirtualService.TlsMatch m : r.match()) {
                    if ((m.port() != 0 && m.port() != port) || !vs.matchAppliesAt(m.gateways(), b.namespace(), b.name())) {
                        continue;
                    }
                    for (String sni : m.sniHosts()) {
                        if (!b.server().accepts(vs.ref().namespace(), b.namespace(), sni)) {
                            continue;
                        }
                        if (!claim(taken, List.of(sni))) {
                            warnOnce(vs.ref() + ": TLS route for " + sni + " on port " + port + " dropped: already routed");
                            continue;
                        }
                        TcpProxy tcp = TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build();
                        l.addFilterChains(chain("sni." + sni, b.gateway().limits(),
                                Filter.newBuilder().setName(Envoy.TCP_PROXY).setTypedConfig(Envoy.any(tcp)).build())
                                .toBuilder().setFilterChainMatch(FilterChainMatch.newBuilder().addServerNames(sni)));
                    }
                }
            }
        }
    }

    /** Claims server names on a listener (empty = the chain without server names); false if any is taken. */
    private static boolean claim(Set<String> taken, List<String> names) {
        List<String> keys = names.isEmpty() ? List.of("")
                : names.stream().map(n -> n.toLowerCase(java.util.Locale.ROOT)).toList();
        if (keys.stream().anyMatch(taken::contains)) {
            return false;
        }
        taken.addAll(keys);
        return true;
    }

    private static FilterChain chain(String name, Gateway.Limits limits, Filter last) {
        FilterChain.Builder fc = FilterChain.newBuilder().setName(name);
        limits.maxConnections().ifPresent(max -> fc.addFilters(Filter.newBuilder().setName(CONNECTION_LIMIT)
                .setTypedConfig(Envoy.any(ConnectionLimit.newBuilder().setStatPrefix(name)
                        .setMaxConnections(UInt64Value.of(max)).build()))));
        return fc.addFilters(last).build();
    }

    private void warnOnce(String message) {
        if (warned.size() > 10_000) {
            warned.clear();
        }
        if (warned.add(message)) {
            LOG.warn("gateway config {}", message);
        }
    }

    /** The HTTP connection manager of gateway chains. */
    private record Hcm(List<RBAC> authz, int xffNumTrustedHops) {
        Filter filter(int port, String rds, Gateway.Limits limits, boolean meshPeer) {
            HttpConnectionManager.Builder h = HttpConnectionManager.newBuilder()
                    .setStatPrefix("outbound_0.0.0.0_" + port)
                    .setRds(Rds.newBuilder().setRouteConfigName(rds).setConfigSource(Envoy.ads()))
                    .setUseRemoteAddress(BoolValue.of(true))
                    .setXffNumTrustedHops(xffNumTrustedHops)
                    .setMaxRequestHeadersKb(UInt32Value.of(limits.maxRequestHeadersKb()));
            if (meshPeer) {
                h.setForwardClientCertDetails(HttpConnectionManager.ForwardClientCertDetails.SANITIZE_SET)
                        .setSetCurrentClientCertDetails(HttpConnectionManager.SetCurrentClientCertDetails.newBuilder().setUri(true));
            }
            h.addHttpFilters(Envoy.peerMetadataFilter(false));
            for (RBAC r : authz) {
                h.addHttpFilters(HttpFilter.newBuilder().setName(Envoy.RBAC).setTypedConfig(Envoy.any(r)));
            }
            limits.ratePerClient().ifPresent(rate -> h.addHttpFilters(HttpFilter.newBuilder().setName(LOCAL_RATE_LIMIT)
                    .setTypedConfig(Envoy.any(rateLimit(rate)))));
            h.addHttpFilters(Envoy.corsFilter());
            h.addHttpFilters(Envoy.faultFilter());
            h.addHttpFilters(HttpFilter.newBuilder().setName(Envoy.ROUTER).setTypedConfig(Envoy.any(Router.getDefaultInstance())));
            return Filter.newBuilder().setName(Envoy.HCM).setTypedConfig(Envoy.any(h.build())).build();
        }
    }

    /** A token bucket per client address: descriptor {@code remote_address} with an empty value. */
    static LocalRateLimit rateLimit(Gateway.RateLimit rate) {
        TokenBucket bucket = TokenBucket.newBuilder()
                .setMaxTokens(rate.tokens())
                .setTokensPerFill(UInt32Value.of(rate.tokens()))
                .setFillInterval(com.google.protobuf.Duration.newBuilder().setSeconds(rate.interval().getSeconds()))
                .build();
        RuntimeFractionalPercent all = RuntimeFractionalPercent.newBuilder()
                .setDefaultValue(FractionalPercent.newBuilder().setNumerator(100).setDenominator(FractionalPercent.DenominatorType.HUNDRED))
                .build();
        return LocalRateLimit.newBuilder()
                .setStatPrefix("http_local_rate_limiter")
                .setStatus(HttpStatus.newBuilder().setCode(StatusCode.TooManyRequests))
                .setTokenBucket(bucket)
                .setFilterEnabled(all.toBuilder().setRuntimeKey("local_rate_limit_enabled"))
                .setFilterEnforced(all.toBuilder().setRuntimeKey("local_rate_limit_enforced"))
                .addDescriptors(LocalRateLimitDescriptor.newBuilder()
                        .addEntries(RateLimitDescriptor.Entry.newBuilder().setKey("remote_address"))
                        .setTokenBucket(bucket))
                .addRateLimits(RateLimit.newBuilder().addActions(RateLimit.Action.newBuilder()
                        .setRemoteAddress(RateLimit.Action.RemoteAddress.getDefaultInstance())))
                .addResponseHeadersToAdd(HeaderValueOption.newBuilder()
                        .setHeader(HeaderValue.newBuilder().setKey(RATE_LIMITED_HEADER).setValue("true")))
                .build();
    }
}
