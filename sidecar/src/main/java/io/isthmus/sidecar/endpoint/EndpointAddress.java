package io.isthmus.sidecar.endpoint;

import java.util.Objects;

/**
 * An upstream socket address, IP literal or host name plus port.
 *
 * @param host IP literal or host name
 * @param port 1..65535
 */
public record EndpointAddress(String host, int port) {
    public EndpointAddress {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
