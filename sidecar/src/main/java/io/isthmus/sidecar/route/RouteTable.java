package io.isthmus.sidecar.route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A route configuration as the proxy runs it: virtual hosts indexed by domain. Lookup follows
 * Envoy's order — exact domain, then the longest {@code *.suffix}, then the longest {@code prefix*},
 * then {@code *} — first with the full authority (host and port), then with the host alone.
 * Immutable; exact domains are indexed once, wildcards are scanned.
 */
public final class RouteTable {

    private final String name;
    private final List<VirtualHostEntry> virtualHosts;
    private final Map<String, VirtualHostEntry> exact = new HashMap<>();
    private final List<Map.Entry<String, VirtualHostEntry>> suffixes = new ArrayList<>();
    private final List<Map.Entry<String, VirtualHostEntry>> prefixes = new ArrayList<>();
    private final VirtualHostEntry any;
    private final Optional<VirtualHostEntry> anyOptional;
    private final List<String> internalOnlyHeaders;

    /**
     * @param name the route configuration name
     * @param virtualHosts in configuration order
     */
    public RouteTable(String name, List<VirtualHostEntry> virtualHosts) {
        this(name, virtualHosts, List.of());
    }

    /**
     * @param name the route configuration name
     * @param virtualHosts in configuration order
     * @param internalOnlyHeaders Envoy's {@code internal_only_headers}: request headers (lower case) removed
     *     from requests that are not internal
     */
    public RouteTable(String name, List<VirtualHostEntry> virtualHosts, List<String> internalOnlyHeaders) {
        this.name = Objects.requireNonNull(name, "name");
        this.virtualHosts = List.copyOf(virtualHosts);
        this.internalOnlyHeaders = internalOnlyHeaders.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        VirtualHostEntry star = null;
        for (VirtualHostEntry vh : this.virtualHosts) {
            for (String d : vh.domains()) {
                String dl = d.toLowerCase(Locale.ROOT);
                if (dl.equals("*")) {
                    star = star == null ? vh : star;
                } else if (dl.startsWith("*")) {
                    suffixes.add(Map.entry(dl.substring(1), vh));
                } else if (dl.endsWith("*")) {
                    prefixes.add(Map.entry(dl.substring(0, dl.length() - 1), vh));
                } else {
                    exact.putIfAbsent(dl, vh);
                }
            }
        }
        suffixes.sort((a, b) -> b.getKey().length() - a.getKey().length());
        prefixes.sort((a, b) -> b.getKey().length() - a.getKey().length());
        this.any = star;
        this.anyOptional = Optional.ofNullable(star);
    }

    /** The route configuration name. */
    public String name() {
        return name;
    }

    /** Request headers (lower case) removed from requests that are not internal. */
    public List<String> internalOnlyHeaders() {
        return internalOnlyHeaders;
    }

    /** The virtual hosts in configuration order. */
    public List<VirtualHostEntry> virtualHosts() {
        return virtualHosts;
    }

    /** The virtual host serving an authority ({@code host} or {@code host:port}). */
    public Optional<VirtualHostEntry> virtualHost(String authority) {
        if (exact.isEmpty() && suffixes.isEmpty() && prefixes.isEmpty()) {
            return anyOptional; // only "*" (an inbound listener's routes): nothing to look up
        }
        String a = authority == null ? "" : authority.toLowerCase(Locale.ROOT);
        VirtualHostEntry hit = lookup(a);
        if (hit == null) {
            int colon = a.lastIndexOf(':');
            if (colon > 0 && a.indexOf(']') < colon) {
                hit = lookup(a.substring(0, colon));
            }
        }
        return Optional.ofNullable(hit == null ? any : hit);
    }

    private VirtualHostEntry lookup(String host) {
        VirtualHostEntry e = exact.get(host);
        if (e != null) {
            return e;
        }
        for (int i = 0, n = suffixes.size(); i < n; i++) {
            Map.Entry<String, VirtualHostEntry> s = suffixes.get(i);
            if (host.length() > s.getKey().length() && host.endsWith(s.getKey())) {
                return s.getValue();
            }
        }
        for (int i = 0, n = prefixes.size(); i < n; i++) {
            Map.Entry<String, VirtualHostEntry> p = prefixes.get(i);
            if (host.length() > p.getKey().length() && host.startsWith(p.getKey())) {
                return p.getValue();
            }
        }
        return null;
    }
}
