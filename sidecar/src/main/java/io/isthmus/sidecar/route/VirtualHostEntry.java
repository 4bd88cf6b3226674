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
 */
public record VirtualHostEntry(String name, List<String> domains, List<RouteEntry> routes) {
    public VirtualHostEntry {
        Objects.requireNonNull(name, "name");
        domains = List.copyOf(domains);
        routes = List.copyOf(routes);
        if (domains.isEmpty()) {
            throw new IllegalArgumentException("a virtual host needs at least one domain");
        }
    }

    /** The first route that matches. */
    public Optional<RouteEntry> route(HeaderMatch.RequestView request) {
        for (RouteEntry r : routes) {
            if (r.matches(request)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
