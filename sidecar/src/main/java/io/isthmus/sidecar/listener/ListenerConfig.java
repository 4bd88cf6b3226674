package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.filter.Direction;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.filter.TcpChain;
import java.util.Objects;
import java.util.Optional;

/**
 * A listener as the proxy runs it: the validated, immutable form of an LDS {@code Listener}.
 *
 * @param name the listener name, e.g. {@code outbound_127.0.0.2_9080}
 * @param address where it binds
 * @param direction inbound or outbound (from {@code traffic_direction}, else the name)
 * @param tls how clients' TLS is treated
 * @param plaintextToo PERMISSIVE with a plaintext filter chain: plaintext connections are served too
 * @param http the HTTP connection manager, when this is an HTTP listener
 * @param tcp the TCP proxy, when this is a TCP listener
 */
public record ListenerConfig(String name, EndpointAddress address, Direction direction, DownstreamTlsMode tls,
                             boolean plaintextToo, Optional<HttpChain> http, Optional<TcpChain> tcp) {
    public ListenerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(tcp, "tcp");
        if (http.isPresent() == tcp.isPresent()) {
            throw new IllegalArgumentException("a listener is either HTTP or TCP");
        }
    }

    /** True when a running socket for {@code other} can serve this config without rebinding. */
    public boolean sameSocket(ListenerConfig other) {
        return address.equals(other.address) && tls == other.tls && plaintextToo == other.plaintextToo
                && http.isPresent() == other.http.isPresent();
    }
}
