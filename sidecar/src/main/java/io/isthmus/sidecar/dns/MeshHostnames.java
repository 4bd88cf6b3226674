package io.isthmus.sidecar.dns;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;

import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The hostnames the DNS proxy answers for: every domain of every virtual host of the route
 * configurations in force (without {@code :port}, without wildcards), plus the
 * {@code <svc>.<ns>} and {@code <svc>.<ns>.svc} forms of each {@code <svc>.<ns>.svc.cluster.local}.
 * Names are compared lower-case without the trailing dot. Thread-safe (an immutable set swapped
 * atomically).
 */
public final class MeshHostnames {
    private static final String SUFFIX = ".svc.cluster.local";
    private volatile Set<String> names = Set.of();

    /** Replaces the names with those of {@code routes} (the complete RDS set). */
    public void update(Collection<RouteConfiguration> routes) {
        Set<String> next = new HashSet<>();
        for (RouteConfiguration rc : routes) {
            for (VirtualHost vh : rc.getVirtualHostsList()) {
                for (String d : vh.getDomainsList()) {
                    add(next, d);
                }
            }
        }
        names = Set.copyOf(next);
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
