package io.isthmus.sidecar.listener;

import io.vertx.core.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the connections handed to a listener's internal servers really come from: the front socket
 * chooses a filter chain, connects to the chain's internal server over loopback and registers the
 * client's address and the chain under that loopback connection's ports before it sends a byte, so
 * the internal server sees the real client (for {@code x-forwarded-for}, rate limits, RBAC and the
 * access log) and the chain chosen. Thread-safe.
 */
final class LoopbackOrigins {

    /**
     * A connection's origin.
     *
     * @param remote the client's address as the front socket saw it
     * @param local the listener address the client connected to
     * @param chain the filter chain chosen for it
     */
    record Origin(SocketAddress remote, SocketAddress local, FilterChainConfig chain) {
        Origin {
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(local, "local");
            Objects.requireNonNull(chain, "chain");
        }
    }

    private final ConcurrentHashMap<Long, Origin> origins = new ConcurrentHashMap<>();

    private static long key(int clientPort, int serverPort) {
        return ((long) clientPort << 32) | (serverPort & 0xffffffffL);
    }

    void register(int clientPort, int serverPort, Origin origin) {
        origins.put(key(clientPort, serverPort), origin);
    }

    void remove(int clientPort, int serverPort) {
        origins.remove(key(clientPort, serverPort));
    }

    /** The origin of an internal connection, or {@code null} when it was not registered. */
    Origin of(SocketAddress remote, SocketAddress local) {
        if (remote == null || local == null) {
            return null;
        }
        return origins.get(key(remote.port(), local.port()));
    }

    int size() {
        return origins.size();
    }
}
