package io.isthmus.sidecar.listener;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Envoy's filter chain match on the criteria the proxy supports, most specific first: the
 * destination port (a chain naming it, else one without), the destination address (the longest
 * matching prefix range, else a chain without), the server
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
        return select(chains, null, 0, sni, isTls);
    }

    /**
     * The chain for a connection to a destination.
     *
     * @param chains the listener's chains
     * @param destination the connection's (original) destination address, or {@code null} when unknown
     * @param destinationPort the connection's (original) destination port
     * @param sni the server name of the ClientHello, lower case, or {@code null}
     * @param isTls whether the connection starts with a TLS ClientHello
     */
    static Optional<FilterChainConfig> select(List<FilterChainConfig> chains, InetAddress destination, int destinationPort,
                                              String sni, boolean isTls) {
        List<FilterChainConfig> byName = byServerName(byAddress(byPort(chains, destinationPort), destination), sni);
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

    private static List<FilterChainConfig> byPort(List<FilterChainConfig> chains, int port) {
        if (chains.stream().noneMatch(FilterChainConfig::matchesDestination)) {
            return chains;
        }
        List<FilterChainConfig> exact = chains.stream().filter(c -> c.destinationPort() != 0 && c.destinationPort() == port).toList();
        return exact.isEmpty() ? chains.stream().filter(c -> c.destinationPort() == 0).toList() : exact;
    }

    private static List<FilterChainConfig> byAddress(List<FilterChainConfig> chains, InetAddress destination) {
        if (chains.stream().allMatch(c -> c.prefixRanges().isEmpty())) {
            return chains;
        }
        int best = -1;
        List<FilterChainConfig> out = new ArrayList<>();
        if (destination != null) {
            for (FilterChainConfig c : chains) {
                for (PrefixRange r : c.prefixRanges()) {
                    if (r.contains(destination) && r.length() >= best) {
                        if (r.length() > best) {
                            best = r.length();
                            out.clear();
                        }
                        if (!out.contains(c)) {
                            out.add(c);
                        }
                    }
                }
            }
        }
        return out.isEmpty() ? chains.stream().filter(c -> c.prefixRanges().isEmpty()).toList() : out;
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
