package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.filter.Direction;
import java.util.List;
import java.util.Objects;

/**
 * A listener as the proxy runs it: the validated, immutable form of an LDS {@code Listener}.
 *
 * @param name the listener name, e.g. {@code outbound_127.0.0.2_9080} or {@code 0.0.0.0_443}
 * @param address where it binds
 * @param direction inbound or outbound (from {@code traffic_direction}, else the name)
 * @param chains the filter chains, in order
 * @param serving how its sockets serve the chains
 * @param binding how connections reach it: its own socket, a capture socket, or only hand-offs by
 *     original destination
 * @param interception how a capture socket learns a connection's original destination ({@link
 *     Interception#NONE} exactly when the binding does not capture)
 */
public record ListenerConfig(String name, EndpointAddress address, Direction direction, List<FilterChainConfig> chains,
                             Serving serving, Binding binding, Interception interception) {

    /** How the connections a capture socket accepts were captured, as Istio's {@code INTERCEPTION_MODE} names it. */
    public enum Interception {
        /** Not a capture socket. */
        NONE,
        /**
         * iptables {@code REDIRECT}: an ordinary socket; the kernel rewrote the destination, and the
         * original one is read with {@code SO_ORIGINAL_DST} ({@code use_original_dst} or the
         * {@code original_dst} listener filter without {@code transparent}).
         */
        REDIRECT,
        /**
         * iptables {@code TPROXY}: an {@code IP_TRANSPARENT} socket ({@code transparent: true}); the
         * accepted socket's local address is the original destination.
         */
        TPROXY
    }

    /** How connections reach a listener. */
    public enum Binding {
        /** Its own socket at its address ({@code bind_to_port} true, the default). */
        BOUND,
        /**
         * No socket ({@code bind_to_port: false}): it serves the connections an {@link #ORIGINAL_DST}
         * listener hands it because their original destination is its address.
         */
        NOT_BOUND,
        /**
         * A capture socket ({@code transparent: true}, or the {@code original_dst} listener filter)
         * that accepts captured connections for any destination and chooses among its own chains by
         * the original destination.
         */
        TRANSPARENT,
        /**
         * A capture socket with {@code use_original_dst: true}: each connection goes to the
         * listener whose address is its original destination (exact address first, then
         * {@code 0.0.0.0} with that port), else to this listener's own chains.
         */
        ORIGINAL_DST;

        /** Whether the listener takes captured connections on a capture socket. */
        public boolean captures() {
            return this == TRANSPARENT || this == ORIGINAL_DST;
        }
    }

    /** A listener bound at its own address. */
    public ListenerConfig(String name, EndpointAddress address, Direction direction, List<FilterChainConfig> chains, Serving serving) {
        this(name, address, direction, chains, serving, Binding.BOUND, Interception.NONE);
    }

    /** How a listener's sockets serve its chains. */
    public enum Serving {
        /** One chain, served by one server with that chain's TLS (or none). */
        DIRECT,
        /** Istio PERMISSIVE: a TLS chain and a plaintext chain with the same filters, told apart by the first byte. */
        PERMISSIVE,
        /**
         * TLS-terminating HTTP chains with exact server names and one client-certificate policy:
         * one TLS server picks the chain's certificate by the ClientHello's server name during the
         * handshake (an unknown name aborts it), no internal hop.
         */
        SNI,
        /**
         * Several chains chosen per connection as Envoy does (server name from the ClientHello, then
         * transport protocol); TLS-passthrough chains relay the bytes, terminating chains are served
         * by one internal server per TLS setting.
         */
        BY_SERVER_NAME
    }

    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(direction, "direction");
        chains = List.copyOf(chains);
        Objects.requireNonNull(serving, "serving");
        Objects.requireNonNull(binding, "binding");
        Objects.requireNonNull(interception, "interception");
        if (binding.captures() == (interception == Interception.NONE)) {
            throw new IllegalArgumentException("a " + binding + " listener cannot have interception " + interception);
        }
        if (binding != Binding.BOUND && serving != Serving.BY_SERVER_NAME) {
            throw new IllegalArgumentException("a " + binding + " listener is served by its front socket (BY_SERVER_NAME)");
        }
        if (chains.isEmpty()) {
            throw new IllegalArgumentException("a listener needs a filter chain");
        }
    }

    /** The first chain: the only one of a DIRECT listener, the TLS one of a PERMISSIVE listener. */
    public FilterChainConfig main() {
        return chains.get(0);
    }

    /** True when a running socket for {@code other} can serve this config without rebinding. */
    public boolean sameSocket(ListenerConfig other) {
        if (!address.equals(other.address) || serving != other.serving || binding != other.binding
                || interception != other.interception) {
            return false;
        }
        if (serving == Serving.BY_SERVER_NAME) {
            return true;
        }
        if (serving == Serving.SNI) {
            return chains.stream().map(c -> java.util.List.of(c.serverNames(), c.tls(), c.maxHeaderBytes())).toList()
                    .equals(other.chains.stream().map(c -> java.util.List.of(c.serverNames(), c.tls(), c.maxHeaderBytes())).toList());
        }
        FilterChainConfig a = main();
        FilterChainConfig b = other.main();
        return a.tls().equals(b.tls()) && a.http().isPresent() == b.http().isPresent() && a.maxHeaderBytes() == b.maxHeaderBytes();
    }
}
