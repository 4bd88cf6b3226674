package io.isthmus.e2e.net;

/**
 * How the local federation separates its simulated networks.
 */
public enum NetworkMode {
    /** Network namespaces when this machine allows them (root and {@code ip netns}), else loopback. */
    AUTO,
    /**
     * One network namespace per pod and gateway, bridges per cluster network: pods of one network
     * cannot reach another network's pods except through the east-west gateways. Needs root.
     */
    NETNS,
    /**
     * No namespaces: every API server, controller, gateway and pod gets its own 127.x.y.z
     * addresses on this machine's loopback. Needs no privileges, but the networks are NOT isolated
     * (a pod can reach any other pod directly); the mesh still routes cross-network calls through
     * the east-west gateways.
     */
    LOOPBACK;

    /** The mode to use here: {@link #AUTO} becomes {@link #NETNS} when {@code netnsAvailable}, else {@link #LOOPBACK}. */
    public NetworkMode resolve(boolean netnsAvailable) {
        return this == AUTO ? (netnsAvailable ? NETNS : LOOPBACK) : this;
    }
}
