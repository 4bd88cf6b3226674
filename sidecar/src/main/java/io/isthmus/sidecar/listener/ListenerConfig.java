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
 */
public record ListenerConfig(String name, EndpointAddress address, Direction direction, List<FilterChainConfig> chains,
                             Serving serving) {

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
        if (!address.equals(other.address) || serving != other.serving) {
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
