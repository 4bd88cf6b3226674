package io.isthmus.sidecar.dns;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.mesh.OutboundName;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hostnames the DNS proxy answers for: every domain of every virtual host of the route
 * configurations in force (without {@code :port}, without wildcards), plus the
 * {@code <svc>.<ns>} and {@code <svc>.<ns>.svc} forms of each {@code <svc>.<ns>.svc.cluster.local}.
 * Names are compared lower-case without the trailing dot. Also tells whether any route configuration
 * holds the virtual host {@value #BLOCK_ALL} (outbound traffic policy REGISTRY_ONLY), in which case
 * the DNS proxy answers every other name with the outbound address too, so calls to hosts outside
 * the registry land on the proxy and are refused there. Also the VIPs of each name: the IP-literal
 * domains ({@code 10.96.0.12}, {@code 10.96.0.12:9080}, {@code [fd00::12]:9080}) of the virtual
 * hosts whose other domains include it, which is how the controller sends a service's ClusterIPs in
 * the proxy's cluster (Istio's virtual-host domains); in transparent capture the DNS proxy answers
 * with them. Opaque TCP services have no virtual host: their names come from the outbound listeners
 * (LDS) whose {@code tcp_proxy} leads to {@code outbound|P|subset|host} clusters (its {@code cluster}, or
 * each of its {@code weighted_clusters}), and a listener at a specific address ({@code <vip>_P}, capture
 * mode) gives its hosts that VIP (see {@link #updateListeners}); a TCP service another
 * service's listener shadows on a shared port in capture mode NONE has no listener of its own and so
 * no answer (the name is forwarded, rather than answered with an address that would reach the other
 * service), unless that listener's weighted clusters include it. IP literals are never names.
 * Thread-safe (immutable values swapped atomically).
 */
public final class MeshHostnames {
    /** The catch-all virtual host of REGISTRY_ONLY route configurations. */
    public static final String BLOCK_ALL = "block_all";

    private static final Logger LOG = LoggerFactory.getLogger(MeshHostnames.class);
    private static final String SUFFIX = ".svc.cluster.local";
    private volatile Set<String> names = Set.of();
    private volatile Map<String, List<InetAddress>> vips = Map.of();
    private volatile boolean blockAll;
    /** What the route configurations and the listeners in force each give; merged into the fields above. */
    private Known fromRoutes = Known.NONE;
    private Known fromListeners = Known.NONE;

    /** Names and VIPs from one kind of resource. */
    private record Known(Set<String> names, Map<String, Set<InetAddress>> vips) {
        static final Known NONE = new Known(Set.of(), Map.of());
    }

    /**
     * Replaces the names and VIPs learnt from listeners with those of {@code listeners} (the complete LDS set):
     * the hosts of the {@code outbound|...} clusters their TCP proxies lead to, with the listener's address
     * as VIP when it is a specific one. A TCP proxy with {@code weighted_clusters} gives the host of every
     * mesh cluster it lists: a canary between subsets of one service gives that service whatever the order
     * of the subsets, and a split between services gives each of them, since each is reached through the
     * listener. A host's VIPs come from the listeners that lead to it alone; only a host that has none gets
     * the VIPs of listeners that split their connections between it and other services, so a service that
     * is also the minor share of another service's split keeps resolving to its own ClusterIP.
     */
    public synchronized void updateListeners(Collection<Listener> listeners) {
        Set<String> next = new HashSet<>();
        Map<String, Set<InetAddress>> ownVips = new HashMap<>();
        Map<String, Set<InetAddress>> sharedVips = new HashMap<>();
        for (Listener l : listeners) {
            if (l.getTrafficDirection() == TrafficDirection.INBOUND || !l.getAddress().hasSocketAddress()) {
                continue;
            }
            InetAddress vip = specificAddress(l.getAddress().getSocketAddress());
            for (FilterChain c : l.getFilterChainsList()) {
                for (Filter f : c.getFiltersList()) {
                    TcpProxyHosts hosts = tcpProxyHosts(f);
                    for (String host : hosts.hosts()) {
                        Set<String> hostNames = new HashSet<>();
                        add(hostNames, host);
                        next.addAll(hostNames);
                        if (vip != null) {
                            Map<String, Set<InetAddress>> into = hosts.alone() ? ownVips : sharedVips;
                            hostNames.forEach(n -> into.computeIfAbsent(n, k -> new LinkedHashSet<>()).add(vip));
                        }
                    }
                }
            }
        }
        Map<String, Set<InetAddress>> nextVips = new HashMap<>(ownVips);
        sharedVips.forEach(nextVips::putIfAbsent);
        fromListeners = new Known(Set.copyOf(next), nextVips);
        publish();
    }

    /**
     * The hosts of the mesh clusters a {@code tcp_proxy} leads to, in order, and whether it leads to one of
     * them alone (every cluster it names is of that host).
     */
    private record TcpProxyHosts(Set<String> hosts, boolean alone) {
        static final TcpProxyHosts NONE = new TcpProxyHosts(Set.of(), false);
    }

    /**
     * The hosts of the mesh clusters a {@code tcp_proxy} filter leads to (its {@code cluster} or each of its
     * {@code weighted_clusters}); none for any other filter.
     */
    private static TcpProxyHosts tcpProxyHosts(Filter f) {
        if (!f.hasTypedConfig() || !f.getTypedConfig().is(TcpProxy.class)) {
            return TcpProxyHosts.NONE;
        }
        TcpProxy tp;
        try {
            tp = f.getTypedConfig().unpack(TcpProxy.class);
        } catch (InvalidProtocolBufferException e) {
            return TcpProxyHosts.NONE; // the listener itself is refused by the data plane, naming why
        }
        List<String> clusters = tp.hasWeightedClusters()
                ? tp.getWeightedClusters().getClustersList().stream().map(TcpProxy.WeightedCluster.ClusterWeight::getName).toList()
                : List.of(tp.getCluster());
        Set<String> hosts = new LinkedHashSet<>();
        boolean allMesh = true;
        for (String cluster : clusters) {
            var name = OutboundName.parseClusterName(cluster);
            name.ifPresent(n -> hosts.add(n.host()));
            allMesh &= name.isPresent();
        }
        return new TcpProxyHosts(hosts, allMesh && hosts.size() == 1);
    }

    /** A listener address that is one host's (a VIP), not a wildcard or the outbound listeners' loopback address. */
    private static InetAddress specificAddress(SocketAddress a) {
        InetAddress ip = ipLiteral(a.getAddress());
        if (ip == null || ip.isAnyLocalAddress() || ip.isLoopbackAddress()) {
            return null;
        }
        return ip;
    }

    private void publish() {
        Set<String> all = new HashSet<>(fromRoutes.names());
        all.addAll(fromListeners.names());
        Map<String, Set<InetAddress>> merged = new HashMap<>();
        fromRoutes.vips().forEach((k, a) -> merged.computeIfAbsent(k, x -> new LinkedHashSet<>()).addAll(a));
        fromListeners.vips().forEach((k, a) -> merged.computeIfAbsent(k, x -> new LinkedHashSet<>()).addAll(a));
        Map<String, List<InetAddress>> v = new HashMap<>();
        merged.forEach((k, a) -> v.put(k, List.copyOf(a)));
        vips = Map.copyOf(v);
        names = Set.copyOf(all);
    }

    /** Replaces the names and VIPs learnt from routes with those of {@code routes} (the complete RDS set). */
    public synchronized void update(Collection<RouteConfiguration> routes) {
        Set<String> next = new HashSet<>();
        Map<String, Set<InetAddress>> nextVips = new HashMap<>();
        boolean block = false;
        for (RouteConfiguration rc : routes) {
            for (VirtualHost vh : rc.getVirtualHostsList()) {
                block |= BLOCK_ALL.equals(vh.getName());
                Set<String> hostNames = new HashSet<>();
                List<InetAddress> addresses = new ArrayList<>();
                for (String d : vh.getDomainsList()) {
                    InetAddress ip = ipLiteral(d);
                    if (ip == null) {
                        add(hostNames, d);
                    } else if (!addresses.contains(ip)) {
                        addresses.add(ip);
                    }
                }
                next.addAll(hostNames);
                if (!addresses.isEmpty()) {
                    for (String n : hostNames) {
                        nextVips.computeIfAbsent(n, k -> new LinkedHashSet<>()).addAll(addresses);
                    }
                }
            }
        }
        fromRoutes = new Known(Set.copyOf(next), nextVips);
        publish();
        if (block != blockAll) {
            blockAll = block;
            LOG.info(block ? "DNS proxy answers names outside the registry with {} (a route configuration holds {})"
                    : "DNS proxy forwards names outside the registry again (no route configuration holds {})",
                    block ? io.isthmus.mesh.XdsNames.OUTBOUND_BIND_ADDRESS : BLOCK_ALL, BLOCK_ALL);
        }
    }

    /** True while a route configuration in force holds the virtual host {@value #BLOCK_ALL}. */
    public boolean blockAll() {
        return blockAll;
    }

    /** Replaces the names with {@code hostnames} (tests, static setups); no VIPs. */
    public synchronized void set(Collection<String> hostnames) {
        Set<String> next = new HashSet<>();
        hostnames.forEach(h -> {
            if (ipLiteral(h) == null) {
                add(next, h);
            }
        });
        fromRoutes = new Known(Set.copyOf(next), Map.of());
        fromListeners = Known.NONE;
        publish();
    }

    /** The VIPs of a mesh name (any case, trailing dot or not), in the order the controller sent them; empty when none. */
    public List<InetAddress> vips(String name) {
        return vips.getOrDefault(normalize(name), List.of());
    }

    /**
     * The address a virtual-host domain names when it is an IP literal, with or without {@code :port}
     * ({@code 10.96.0.12}, {@code 10.96.0.12:9080}, {@code [fd00::12]}, {@code [fd00::12]:9080});
     * null for any other domain. Never resolves a name.
     */
    static InetAddress ipLiteral(String domain) {
        String d = domain.trim();
        String host;
        if (d.startsWith("[")) {
            int close = d.indexOf(']');
            if (close < 0 || (close != d.length() - 1 && !d.substring(close + 1).matches(":\\d{1,5}"))) {
                return null;
            }
            host = d.substring(1, close);
            if (!host.matches("[0-9A-Fa-f:.]+") || !host.contains(":")) {
                return null;
            }
        } else {
            host = d.matches("[0-9.]+:\\d{1,5}") ? d.substring(0, d.lastIndexOf(':')) : d;
            if (!host.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
                return null;
            }
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    return null;
                }
            }
        }
        try {
            // a literal of digits, dots and colons is parsed, never looked up
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static void add(Set<String> out, String domain) {
        String d = normalize(domain);
        int colon = d.lastIndexOf(':');
        if (colon > 0 && d.indexOf(':') == colon) {
            d = d.substring(0, colon);
        }
        if (d.isEmpty() || d.contains("*") || d.contains(":") || d.contains("[")) {
            return;
        }
        out.add(d);
        if (d.endsWith(SUFFIX)) {
            String svcNs = d.substring(0, d.length() - SUFFIX.length());
            if (svcNs.contains(".")) {
                out.add(svcNs);
                out.add(svcNs + ".svc");
            }
        }
    }

    private static String normalize(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** Whether {@code name} (any case, trailing dot or not) is a mesh hostname. */
    public boolean contains(String name) {
        return names.contains(normalize(name));
    }

    /** The current names. */
    public Set<String> all() {
        return names;
    }
}
