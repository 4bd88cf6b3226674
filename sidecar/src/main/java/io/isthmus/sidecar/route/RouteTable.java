package io.isthmus.sidecar.route;

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
 *
 * @param name the route configuration name
 * @param virtualHosts in configuration order
 */
public record RouteTable(String name, List<VirtualHostEntry> virtualHosts) {

    public RouteTable {
        Objects.requireNonNull(name, "name");
        virtualHosts = List.copyOf(virtualHosts);
    }

    /** The virtual host serving an authority ({@code host} or {@code host:port}). */
    public Optional<VirtualHostEntry> virtualHost(String authority) {
        String a = authority == null ? "" : authority.toLowerCase(Locale.ROOT);
        Optional<VirtualHostEntry> hit = lookup(a);
        if (hit.isEmpty()) {
            int colon = a.lastIndexOf(':');
            if (colon > 0 && a.indexOf(']') < colon) {
                hit = lookup(a.substring(0, colon));
            }
        }
        return hit;
    }

    private Optional<VirtualHostEntry> lookup(String host) {
        Map<String, VirtualHostEntry> exact = new HashMap<>();
        VirtualHostEntry bestSuffix = null;
        int suffixLen = -1;
        VirtualHostEntry bestPrefix = null;
        int prefixLen = -1;
        VirtualHostEntry any = null;
        for (VirtualHostEntry vh : virtualHosts) {
            for (String d : vh.domains()) {
                String dl = d.toLowerCase(Locale.ROOT);
                if (dl.equals("*")) {
                    any = any == null ? vh : any;
                } else if (dl.startsWith("*")) {
                    String suffix = dl.substring(1);
                    if (host.endsWith(suffix) && host.length() > suffix.length() && suffix.length() > suffixLen) {
                        bestSuffix = vh;
                        suffixLen = suffix.length();
                    }
                } else if (dl.endsWith("*")) {
                    String prefix = dl.substring(0, dl.length() - 1);
                    if (host.startsWith(prefix) && host.length() > prefix.length() && prefix.length() > prefixLen) {
                        bestPrefix = vh;
                        prefixLen = prefix.length();
                    }
                } else {
                    exact.putIfAbsent(dl, vh);
                }
            }
        }
        VirtualHostEntry e = exact.get(host);
        if (e != null) {
            return Optional.of(e);
        }
        if (bestSuffix != null) {
            return Optional.of(bestSuffix);
        }
        if (bestPrefix != null) {
            return Optional.of(bestPrefix);
        }
        return Optional.ofNullable(any);
    }
}
