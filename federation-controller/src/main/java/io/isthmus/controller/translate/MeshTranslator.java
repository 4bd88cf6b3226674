package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.controller.config.DestinationRule;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.MeshSettings;
import io.isthmus.controller.config.PeerAuthentication;
import io.isthmus.controller.config.Sidecar;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.controller.registry.WorkloadInstance;
import io.isthmus.mesh.OutboundName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole translation for one proxy: reads the federated registry and the trust bundle and asks
 * each per-type translator for its part. The outbound part of a configuration depends only on the
 * proxy's kind, cluster (its VIPs), network, locality, namespace and address families, so it is computed once per such key and reused by
 * every proxy that shares it until the registry changes ({@link #invalidate()}); only the inbound
 * part is computed per proxy.
 */
public final class MeshTranslator {
    private static final Logger LOG = LoggerFactory.getLogger(MeshTranslator.class);

    private final FederatedRegistry registry;
    private final String trustDomain;
    private final Supplier<String> trustBundle;
    private final Supplier<MeshConfig> config;
    private final RbacTranslator rbac = new RbacTranslator();
    private final ListenerTranslator listeners = new ListenerTranslator();
    private final RouteTranslator routes = new RouteTranslator();
    private final ClusterTranslator clusters = new ClusterTranslator();
    private final EndpointTranslator endpoints = new EndpointTranslator();
    private final SecretTranslator secrets = new SecretTranslator();
    private final GatewayTranslator edgeGateways = new GatewayTranslator();
    private final CredentialTranslator credentials = new CredentialTranslator();
    private final OutboundClusters outboundClusters;
    private final AtomicLong generation = new AtomicLong();
    private final ConcurrentHashMap<OutboundKey, Cached> outboundCache = new ConcurrentHashMap<>();

    /**
     * Creates the translator.
     *
     * @param registry the federated registry
     * @param trustDomain the mesh trust domain, e.g. {@code cluster.local}
     * @param trustBundle the current trust bundle, PEM roots (read on every translation, so a new
     *     root reaches every proxy with the next push)
     */
    public MeshTranslator(FederatedRegistry registry, String trustDomain, Supplier<String> trustBundle) {
        this(registry, trustDomain, trustBundle, () -> MeshConfig.empty("isthmus-system"));
    }

    /**
     * Creates the translator with mesh configuration.
     *
     * @param config the current validated Istio configuration (read on every translation)
     */
    public MeshTranslator(FederatedRegistry registry, String trustDomain, Supplier<String> trustBundle,
            Supplier<MeshConfig> config) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.trustBundle = Objects.requireNonNull(trustBundle, "trustBundle");
        this.config = Objects.requireNonNull(config, "config");
        this.outboundClusters = new OutboundClusters(clusters, endpoints, trustDomain);
    }

    /** Forgets every cached outbound part: call when the registry or the trust bundle changed. */
    public void invalidate() {
        generation.incrementAndGet();
        outboundCache.clear();
    }

    /** The complete configuration of one proxy. */
    public ProxyResources resourcesFor(ProxyView view) {
        Builder b = new Builder();
        long gen = generation.get();
        // a translation that read the registry before an invalidation may be cached under the old
        // generation; the next call computes again
        OutboundKey key = new OutboundKey(view.type(), view.generator(), view.clusterId(), view.network(),
                view.locality().toString(), view.namespace(), view.servedNetworks().toString(), view.labels(), families(view.ips()),
                view.interceptionMode());
        // one computation per key and generation; concurrent callers of the same view wait for it
        ProxyResources outbound = outboundCache.compute(key, (k, old) ->
                old != null && old.generation >= gen ? old : new Cached(gen, outbound(view))).resources;
        if (view.isEdgeGateway() && view.generator() == ProxyView.Generator.ENVOY) {
            // credentials depend on the proxy's cluster and proven namespace: never cached
            TreeMap<String, Secret> creds = credentials.forProxy(view, config.get());
            if (creds.isEmpty()) {
                return outbound;
            }
            creds.putAll(outbound.secrets());
            return new ProxyResources(outbound.listeners(), outbound.routes(), outbound.clusters(), outbound.endpoints(), creds);
        }
        if (view.type() != ProxyView.ProxyType.SIDECAR || view.generator() != ProxyView.Generator.ENVOY) {
            return outbound;
        }
        b.listeners.putAll(outbound.listeners());
        b.clusters.putAll(outbound.clusters());
        boolean rebound = !view.outboundAddress().isEmpty()
                && ListenerTranslator.rebindOutbound(b.listeners, view.outboundBindAddress());
        inbound(view, b);
        boolean captured = view.interceptionMode() != ProxyView.InterceptionMode.NONE;
        java.util.SortedMap<String, RouteConfiguration> routes = outbound.routes();
        if (captured) {
            MeshConfig cfg = config.get();
            b.routes.putAll(routes);
            routes = b.routes;
            CaptureListeners.apply(view.interceptionMode(), view.ips(), b.listeners, b.clusters, b.routes,
                    cfg.outboundTrafficPolicyFor(view.namespace(), view.labels()) == Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY,
                    inboundTls(cfg.mtlsModeFor(view.namespace(), view.labels(), 0)));
        }
        if (!rebound && !captured && b.listeners.size() == outbound.listeners().size() && b.clusters.size() == outbound.clusters().size()) {
            return outbound;
        }
        return new ProxyResources(b.listeners, routes, b.clusters, outbound.endpoints(), outbound.secrets());
    }

    private ProxyResources outbound(ProxyView view) {
        Builder b = new Builder();
        MeshConfig cfg = config.get();
        List<FederatedService> services = new ArrayList<>(registry.services());
        Map<String, ServiceEntryServices.Entry> entries =
                ServiceEntryServices.of(cfg, host -> registry.service(host).isPresent());
        entries.values().forEach(e -> services.add(e.service()));
        services.sort(Comparator.comparing(FederatedService::hostname));
        Map<String, NetworkGateway> gateways = new TreeMap<>();
        for (NetworkGateway g : registry.gateways()) {
            gateways.putIfAbsent(g.network(), g);
        }
        if (view.isEdgeGateway()) {
            edgeGatewayView(view, services, entries, gateways, cfg, b);
        } else if (view.type() == ProxyView.ProxyType.ROUTER) {
            gatewayView(view, services, cfg, b);
        } else if (view.generator() == ProxyView.Generator.GRPC) {
            grpcView(view, services, b);
        } else {
            sidecarView(view, services, entries, gateways, cfg, b);
        }
        if (view.generator() == ProxyView.Generator.ENVOY) {
            try {
                Secret root = secrets.rootCa(trustBundle.get());
                b.secrets.put(root.getName(), root);
            } catch (RuntimeException e) {
                LOG.warn("no ROOTCA for {}: {}", view.label(), e.getMessage());
            }
        }
        return b.build();
    }

    private void sidecarView(ProxyView view, List<FederatedService> services,
            Map<String, ServiceEntryServices.Entry> entries, Map<String, NetworkGateway> gateways, MeshConfig cfg, Builder b) {
        Map<Integer, List<FederatedService>> httpByPort = new TreeMap<>();
        Map<Integer, String> tcpByPort = new TreeMap<>(); // port -> the hostname of the first TCP service on it
        Map<Integer, List<FederatedService>> tcpServicesByPort = new TreeMap<>();
        Optional<Sidecar> scope = cfg.sidecarFor(view.namespace(), view.labels());
        MeshSettings mesh = cfg.settings();
        for (FederatedService s : services) {
            if (scope.isPresent() && !scope.get().allows(view.namespace(), s.namespace(), s.hostname())) {
                continue;
            }
            outboundClusters.add(view, s, entries.get(s.hostname()), cfg.destinationRuleFor(s.hostname(), view.namespace()),
                    cfg, gateways::get, b.clusters, b.endpoints);
            for (ServicePort p : s.ports()) {
                if (isHttp(p)) {
                    httpByPort.computeIfAbsent(p.port(), k -> new ArrayList<>()).add(s);
                } else {
                    tcpByPort.putIfAbsent(p.port(), s.hostname());
                    tcpServicesByPort.computeIfAbsent(p.port(), k -> new ArrayList<>()).add(s);
                }
            }
        }
        Map<String, List<Integer>> servicePorts = new java.util.HashMap<>();
        services.forEach(s -> servicePorts.put(s.hostname(), s.ports().stream().map(ServicePort::port).toList()));
        Function<String, List<Integer>> portsOf = host -> servicePorts.getOrDefault(host, List.of());
        boolean registryOnly = cfg.outboundTrafficPolicyFor(view.namespace(), view.labels())
                == Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY;
        Function<OutboundName, List<io.envoyproxy.envoy.config.route.v3.RouteAction.HashPolicy>> hashOf =
                ConsistentHashTranslator.forProxy(cfg, view.namespace());
        for (Map.Entry<Integer, List<FederatedService>> e : httpByPort.entrySet()) {
            Listener l = listeners.outboundHttp(e.getKey());
            b.listeners.put(l.getName(), l);
            RouteConfiguration rc = routes.outbound(e.getKey(), e.getValue(), view.namespace(),
                    host -> cfg.virtualServicesFor(host).stream().findFirst(), portsOf, registryOnly,
                    s -> ServiceVips.forProxy(s, view.clusterId(), view.ips()), mesh.defaultHttpRetryPolicy(), hashOf);
            b.routes.put(rc.getName(), rc);
        }
        for (Map.Entry<Integer, String> e : tcpByPort.entrySet()) {
            if (!httpByPort.containsKey(e.getKey())) {
                Listener l = listeners.outboundTcp(e.getKey(), TcpRoutes.tcpProxy(cfg, e.getValue(), e.getKey(), portsOf, hashOf));
                b.listeners.put(l.getName(), l);
            }
        }
        if (view.interceptionMode() != ProxyView.InterceptionMode.NONE) {
            // Captured connections keep their destination address: every TCP service port gets a listener per
            // VIP, as in Istio, so TCP services sharing a port (or sharing it with HTTP ones) each reach their
            // own cluster; the port-wide listener above stays for names without a VIP (headless services).
            for (Map.Entry<Integer, List<FederatedService>> e : tcpServicesByPort.entrySet()) {
                for (FederatedService s : e.getValue()) {
                    TcpProxy tcp = TcpRoutes.tcpProxy(cfg, s.hostname(), e.getKey(), portsOf, hashOf);
                    for (String vip : ServiceVips.forProxy(s, view.clusterId(), view.ips())) {
                        Listener l = listeners.outboundTcpVip(vip, e.getKey(), tcp);
                        b.listeners.putIfAbsent(l.getName(), l);
                    }
                }
            }
        }
    }

    /**
     * An ingress or egress gateway: the clusters and endpoints a sidecar of its network and locality
     * gets, and instead of a sidecar's listeners those of the Gateways selecting it.
     */
    private void edgeGatewayView(ProxyView view, List<FederatedService> services,
            Map<String, ServiceEntryServices.Entry> entries, Map<String, NetworkGateway> gateways, MeshConfig cfg, Builder b) {
        sidecarView(view, services, entries, gateways, cfg, b);
        b.listeners.clear();
        b.routes.clear();
        Map<String, FederatedService> byHost = new java.util.HashMap<>();
        services.forEach(s -> byHost.putIfAbsent(s.hostname(), s));
        GatewayTranslator.Result r = edgeGateways.translate(view.labels(), view.namespace(), cfg, byHost, rbac,
                xffNumTrustedHops(cfg));
        b.listeners.putAll(r.listeners());
        b.routes.putAll(r.routes());
    }

    private static int xffNumTrustedHops(MeshConfig cfg) {
        return cfg.settings().numTrustedProxies();
    }

    private void gatewayView(ProxyView view, List<FederatedService> services, MeshConfig cfg, Builder b) {
        for (FederatedService s : services) {
            boolean local = s.endpoints().stream().anyMatch(e -> view.servedNetworks().contains(e.network()));
            if (!local) {
                continue;
            }
            Optional<DestinationRule> dr = cfg.destinationRuleFor(s.hostname(), view.namespace());
            for (ServicePort p : s.ports()) {
                OutboundName name = OutboundName.of(s.hostname(), p.port());
                b.clusters.put(name.clusterName(), clusters.edsCluster(name));
                b.endpoints.put(name.clusterName(), endpoints.forGateway(name, s, p, Map.of(), view));
                for (DestinationRule.Subset subset : dr.map(DestinationRule::subsets).orElse(List.of())) {
                    OutboundName sub = new OutboundName(p.port(), subset.name(), s.hostname());
                    b.clusters.put(sub.clusterName(), clusters.edsCluster(sub));
                    b.endpoints.put(sub.clusterName(), endpoints.forGateway(sub, s, p, subset.labels(), view));
                }
            }
        }
    }

    private void grpcView(ProxyView view, List<FederatedService> services, Builder b) {
        for (FederatedService s : services) {
            for (ServicePort p : s.ports()) {
                OutboundName name = OutboundName.of(s.hostname(), p.port());
                String hostPort = s.hostname() + ":" + p.port();
                b.listeners.put(hostPort, listeners.grpcApiListener(hostPort));
                b.routes.put(hostPort, routes.grpc(s, p.port()));
                b.clusters.put(name.clusterName(), clusters.edsCluster(name));
                // plaintext, which other networks' east-west gateways (mTLS by SNI only) do not route: own network only
                b.endpoints.put(name.clusterName(), endpoints.forProxy(name, s, p, Map.of(), view, network -> null));
            }
        }
    }

    private void inbound(ProxyView view, Builder b) {
        String ip = view.primaryIp();
        if (ip.isEmpty()) {
            return;
        }
        Map<Integer, Boolean> ports = new TreeMap<>();
        java.util.Set<Integer> http2 = new java.util.HashSet<>();
        // target port -> the services served there, by host name: the inbound cluster's metadata names them
        Map<Integer, Map<String, FederatedService>> services = new TreeMap<>();
        MeshConfig cfg = config.get();
        Optional<WorkloadInstance> w = view.clusterId().isEmpty() ? Optional.empty()
                : registry.workload(view.clusterId(), view.namespace(), view.podName().isEmpty() ? ip : view.podName())
                        .or(() -> registry.workload(view.clusterId(), view.namespace(), ip));
        if (w.isPresent()) {
            for (String host : w.get().hostnames()) {
                FederatedService s = registry.service(host).orElse(null);
                ClusterService cs = s == null ? null : s.clusters().get(view.clusterId());
                if (cs == null) {
                    continue;
                }
                WorkloadEndpoint self = cs.endpoints().stream()
                        .filter(e -> e.address().equals(w.get().address())).findFirst().orElse(null);
                if (self == null) {
                    continue;
                }
                for (ServicePort p : s.ports()) {
                    ports.merge(self.targetPort(p), isHttp(p), Boolean::logicalOr);
                    services.computeIfAbsent(self.targetPort(p), k -> new java.util.LinkedHashMap<>()).putIfAbsent(s.hostname(), s);
                    if (p.protocol().isHttp2()) {
                        http2.add(self.targetPort(p));
                    }
                }
            }
        }
        view.declaredPorts().forEach((port, proto) -> {
            if (ports.putIfAbsent(port, isHttp(Protocol.parse(proto), proto)) == null && Protocol.parse(proto).isHttp2()) {
                http2.add(port);
            }
        });
        Map<String, String> labels = w.map(WorkloadInstance::labels).filter(m -> !m.isEmpty()).orElse(view.labels());
        List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> authz =
                rbac.filters(cfg.authorizationPoliciesFor(view.namespace(), labels));
        for (Map.Entry<Integer, Boolean> e : ports.entrySet()) {
            ListenerTranslator.InboundTls tls = inboundTls(cfg.mtlsModeFor(view.namespace(), labels, e.getKey()));
            Listener l = listeners.inbound(ip, e.getKey(), e.getValue(), tls, authz);
            b.listeners.put(l.getName(), l);
            Cluster c = clusters.inboundCluster(e.getKey(), view.appEndpointAddress(),
                    List.copyOf(services.getOrDefault(e.getKey(), Map.of()).values()));
            if (http2.contains(e.getKey())) {
                c = ClusterTranslator.http2(c); // gRPC and HTTP/2 ports reach the app with h2c
            }
            b.clusters.put(c.getName(), c);
        }
    }

    private static ListenerTranslator.InboundTls inboundTls(PeerAuthentication.Mode mode) {
        return switch (mode) {
            case PERMISSIVE -> ListenerTranslator.InboundTls.PERMISSIVE;
            case DISABLE -> ListenerTranslator.InboundTls.DISABLE;
            case STRICT, UNSET -> ListenerTranslator.InboundTls.STRICT;
        };
    }

    /** HTTP-level routing for HTTP, HTTP2 and gRPC ports, and for ports of unknown protocol named {@code http*}. */
    private static boolean isHttp(ServicePort p) {
        return isHttp(p.protocol(), p.name());
    }

    private static boolean isHttp(Protocol protocol, String name) {
        return protocol.isHttp() || (protocol == Protocol.UNKNOWN && name.toLowerCase(java.util.Locale.ROOT).startsWith("http"));
    }


    /** The address families of a proxy's IPs ({@code 4}, {@code 6}, {@code 46}; empty when none): they decide its VIPs. */
    private static String families(List<String> ips) {
        boolean v4 = ips.stream().anyMatch(ip -> ip.indexOf(':') < 0);
        boolean v6 = ips.stream().anyMatch(ip -> ip.indexOf(':') >= 0);
        return (v4 ? "4" : "") + (v6 ? "6" : "");
    }

    private record OutboundKey(ProxyView.ProxyType type, ProxyView.Generator generator, String cluster, String network,
            String locality, String namespace, String served, Map<String, String> labels, String families,
            ProxyView.InterceptionMode interception) {
    }

    private record Cached(long generation, ProxyResources resources) {
    }

    private static final class Builder {
        final TreeMap<String, Listener> listeners = new TreeMap<>();
        final TreeMap<String, RouteConfiguration> routes = new TreeMap<>();
        final TreeMap<String, Cluster> clusters = new TreeMap<>();
        final TreeMap<String, ClusterLoadAssignment> endpoints = new TreeMap<>();
        final TreeMap<String, Secret> secrets = new TreeMap<>();

        ProxyResources build() {
            return new ProxyResources(listeners, routes, clusters, endpoints, secrets);
        }
    }
}
