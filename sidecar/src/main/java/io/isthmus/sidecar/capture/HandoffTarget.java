package io.isthmus.sidecar.capture;

import java.net.InetSocketAddress;

/**
 * Where a captured connection is handed: the loopback socket of the listener that serves it, told
 * the connection's real client and original destination before the hand-off connects.
 */
public interface HandoffTarget {

    /** The loopback address the hand-off connects to. */
    InetSocketAddress address();

    /**
     * Records a hand-off before it connects.
     *
     * @param clientPort the local port of the hand-off's loopback connection
     * @param client the captured connection's client
     * @param originalDst the captured connection's original destination
     */
    void register(int clientPort, InetSocketAddress client, InetSocketAddress originalDst);

    /**
     * Forgets a hand-off once its connection is closed, unless its loopback port already carries a
     * newer hand-off (the kernel may give a freed port to the next hand-off before this runs).
     */
    void unregister(int clientPort, InetSocketAddress client, InetSocketAddress originalDst);
}
