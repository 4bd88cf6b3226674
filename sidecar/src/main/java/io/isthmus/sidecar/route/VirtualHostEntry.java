package io.isthmus.sidecar.route;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A virtual host: the domains it answers and its routes in order.
 *
 * @param name its name
 * @param domains exact names, {@code *.suffix}, {@code prefix*} or {@code *}; may carry a port
 * @param routes first match wins
 * @param requireTls Envoy's {@code require_tls}: plaintext requests are redirected to https (301)
 */
public record VirtualHostEntry(String name, List<String> domains, List<RouteEntry> routes, RequireTls requireTls) {

    /** Envoy's {@code VirtualHost.TlsRequirementType}. */
    public enum RequireTls {
        /** No requirement. */
        NONE,
        /** Only requests from outside the mesh must use TLS; every plaintext request counts as external here. */
        EXTERNAL_ONLY,
        /** Every request must use TLS. */
        ALL
    }

    /** A virtual host without a TLS requirement. */
    public VirtualHostEntry(String name, List<String> domains, List<RouteEntry> routes) {
        this(name, domains, routes, RequireTls.NONE);
    }

    public VirtualHostEntry {
        Objects.requireNonNull(name, "name");
        domains = List.copyOf(domains);
        routes = List.copyOf(routes);
        Objects.requireNonNull(requireTls, "requireTls");
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("a virtual host needs at least one domain");
        }
    }

    /** The first route that matches. */
    public Optional<RouteEntry> route(HeaderMatch.RequestView request) {
        for (int i = 0, n = routes.size(); i < n; i++) {
            RouteEntry r = routes.get(i);
            if (r.matches(request)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
