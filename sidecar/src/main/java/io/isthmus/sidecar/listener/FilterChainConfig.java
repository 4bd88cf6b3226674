package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.filter.ConnectionLimit;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.filter.TcpChain;
import io.isthmus.sidecar.tls.DownstreamTls;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One filter chain of a listener: what it matches, how it treats TLS, and its filters.
 *
 * @param name the chain's name (its {@code name}, else {@code filter_chains[i]})
 * @param serverNames {@code filter_chain_match.server_names}: exact names and {@code *.suffix}
 *     wildcards, lower case; empty matches any (or no) server name
 * @param transportProtocol {@code filter_chain_match.transport_protocol}: {@code tls},
 *     {@code raw_buffer} or empty for any
 * @param tls TLS termination, when the chain has a TLS transport socket
 * @param http the HTTP connection manager, when this is an HTTP chain
 * @param tcp the TCP proxy, when this is a TCP chain (with {@code server_names} and no TLS: passthrough)
 * @param connectionLimit the connection limit filter, when configured
 * @param destinationPort {@code filter_chain_match.destination_port}: the original destination port
 *     of a captured connection (the accepted port otherwise); 0 matches any
 * @param prefixRanges {@code filter_chain_match.prefix_ranges}: the original destination address
 *     ranges; empty matches any
 */
public record FilterChainConfig(String name, List<String> serverNames, String transportProtocol, Optional<DownstreamTls> tls,
                                Optional<HttpChain> http, Optional<TcpChain> tcp, Optional<ConnectionLimit> connectionLimit,
                                int destinationPort, List<PrefixRange> prefixRanges) {

    /** A chain that matches any destination. */
    public FilterChainConfig(String name, List<String> serverNames, String transportProtocol, Optional<DownstreamTls> tls,
                             Optional<HttpChain> http, Optional<TcpChain> tcp, Optional<ConnectionLimit> connectionLimit) {
        this(name, serverNames, transportProtocol, tls, http, tcp, connectionLimit, 0, List.of());
    }

    public FilterChainConfig {
        if (destinationPort < 0 || destinationPort > 65535) {
            throw new IllegalArgumentException("destinationPort must be 0..65535, got " + destinationPort);
        }
        prefixRanges = List.copyOf(prefixRanges);
        Objects.requireNonNull(name, "name");
        serverNames = List.copyOf(serverNames);
        Objects.requireNonNull(transportProtocol, "transportProtocol");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(connectionLimit, "connectionLimit");
        if (http.isPresent() == tcp.isPresent()) {
            throw new IllegalArgumentException("a filter chain is either HTTP or TCP");
        }
    }

    /** Whether the chain matches on the connection's destination (port or address). */
    boolean matchesDestination() {
        return destinationPort != 0 || !prefixRanges.isEmpty();
    }

    /** The largest request header block of an HTTP chain. */
    int maxHeaderBytes() {
        return http.map(HttpChain::maxRequestHeadersBytes).orElse(HttpChain.DEFAULT_MAX_REQUEST_HEADERS_BYTES);
    }
}
