package io.isthmus.sidecar.listener;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Envoy's filter chain match on the criteria the proxy supports, most specific first: the server
 * name (an exact name, else the longest matching {@code *.suffix} wildcard, else a chain without
 * server names), then the transport protocol ({@code tls} or {@code raw_buffer}, else a chain without
 * one). As in Envoy, a level that matched is not given up for a less specific one when a later level
 * finds nothing.
 */
final class ChainSelector {

    private ChainSelector() {
    }

    /**
     * The chain for a connection.
     *
     * @param chains the listener's chains
     * @param sni the server name of the ClientHello, lower case, or {@code null}
     * @param isTls whether the connection starts with a TLS ClientHello
     */
    static Optional<FilterChainConfig> select(List<FilterChainConfig> chains, String sni, boolean isTls) {
        List<FilterChainConfig> byName = byServerName(chains, sni);
        String transport = isTls ? "tls" : "raw_buffer";
        for (FilterChainConfig c : byName) {
            if (c.transportProtocol().equals(transport)) {
                return Optional.of(c);
            }
        }
        for (FilterChainConfig c : byName) {
            if (c.transportProtocol().isEmpty()) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private static List<FilterChainConfig> byServerName(List<FilterChainConfig> chains, String sni) {
        List<FilterChainConfig> out = new ArrayList<>();
        if (sni != null && !sni.isEmpty()) {
            for (FilterChainConfig c : chains) {
                if (c.serverNames().contains(sni)) {
                    out.add(c);
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
            int best = -1;
            for (FilterChainConfig c : chains) {
                for (String n : c.serverNames()) {
                    if (n.startsWith("*.") && sni.length() > n.length() - 1 && sni.endsWith(n.substring(1))) {
                        if (n.length() > best) {
                            best = n.length();
                            out.clear();
                        }
                        if (n.length() == best && !out.contains(c)) {
                            out.add(c);
                        }
                    }
                }
            }
            if (!out.isEmpty()) {
                return out;
            }
        }
        for (FilterChainConfig c : chains) {
            if (c.serverNames().isEmpty()) {
                out.add(c);
            }
        }
        return out;
    }
}
