package io.isthmus.sidecar.dns;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;

import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
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
 * the registry land on the proxy and are refused there. Thread-safe (immutable values swapped
 * atomically).
 */
public final class MeshHostnames {
    /** The catch-all virtual host of REGISTRY_ONLY route configurations. */
    public static final String BLOCK_ALL = "block_all";

    private static final Logger LOG = LoggerFactory.getLogger(MeshHostnames.class);
    private static final String SUFFIX = ".svc.cluster.local";
    private volatile Set<String> names = Set.of();
    private volatile boolean blockAll;

    /** Replaces the names with those of {@code routes} (the complete RDS set). */
    public void update(Collection<RouteConfiguration> routes) {
        Set<String> next = new HashSet<>();
        boolean block = false;
        for (RouteConfiguration rc : routes) {
            for (VirtualHost vh : rc.getVirtualHostsList()) {
                block |= BLOCK_ALL.equals(vh.getName());
                for (String d : vh.getDomainsList()) {
                    add(next, d);
                }
            }
        }
        names = Set.copyOf(next);
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

    /** Replaces the names with {@code hostnames} (tests, static setups). */
    public void set(Collection<String> hostnames) {
        Set<String> next = new HashSet<>();
        hostnames.forEach(h -> add(next, h));
        names = Set.copyOf(next);
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
