package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.SocketMatchLabels;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a cluster's {@code transport_socket_matches}: the upstream TLS of connections to the
 * endpoints whose {@code envoy.transport_socket_match} labels satisfy {@code match}.
 *
 * @param name the entry's name, unique in the cluster
 * @param match the labels an endpoint must carry with equal values; none = every endpoint
 * @param tls the upstream TLS of its connections, empty for plaintext ({@code raw_buffer})
 */
public record TransportSocketMatch(String name, SocketMatchLabels match, Optional<UpstreamTls> tls) {

    public TransportSocketMatch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(match, "match");
        Objects.requireNonNull(tls, "tls");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a transport socket match needs a name");
        }
    }
}
