package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.capture.HandoffTarget;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The captured connections handed to one listener's front socket over loopback: a transparent
 * socket registers each hand-off's client and original destination under the loopback connection's
 * ports before it connects, so the front socket chooses the chain by the original destination and
 * the filters see the real client. Thread-safe.
 */
final class Handoffs implements HandoffTarget {

    /**
     * A hand-off's origin.
     *
     * @param remote the captured connection's client
     * @param local its original destination
     */
    record Handoff(SocketAddress remote, SocketAddress local) {
        Handoff {
            Objects.requireNonNull(remote, "remote");
            Objects.requireNonNull(local, "local");
        }
    }

    private final ConcurrentHashMap<Long, Handoff> handoffs = new ConcurrentHashMap<>();
    private final Supplier<InetSocketAddress> address;

    /** @param address the loopback address hand-offs connect to (known once the front socket is bound) */
    Handoffs(Supplier<InetSocketAddress> address) {
        this.address = address;
    }

    private static long key(int clientPort, int serverPort) {
        return ((long) clientPort << 32) | (serverPort & 0xffffffffL);
    }

    @Override
    public InetSocketAddress address() {
        return address.get();
    }

    @Override
    public void register(int clientPort, InetSocketAddress client, InetSocketAddress originalDst) {
        handoffs.put(key(clientPort, address().getPort()), handoff(client, originalDst));
    }

    @Override
    public void unregister(int clientPort, InetSocketAddress client, InetSocketAddress originalDst) {
        handoffs.remove(key(clientPort, address().getPort()), handoff(client, originalDst));
    }

    private static Handoff handoff(InetSocketAddress client, InetSocketAddress originalDst) {
        return new Handoff(SocketAddress.inetSocketAddress(client.getPort(), client.getAddress().getHostAddress()),
                SocketAddress.inetSocketAddress(originalDst.getPort(), originalDst.getAddress().getHostAddress()));
    }

    /** The hand-off of a loopback connection, or {@code null} when it was not handed off. */
    Handoff of(SocketAddress remote, SocketAddress local) {
        if (remote == null || local == null) {
            return null;
        }
        return handoffs.get(key(remote.port(), local.port()));
    }
}
