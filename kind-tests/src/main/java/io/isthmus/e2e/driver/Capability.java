package io.isthmus.e2e.driver;

/**
 * A scenario step that not every target can do honestly. A target that lacks one says why
 * ({@link Federation#unsupported}); the scenario then aborts instead of pretending.
 */
public enum Capability {
    /** Stopping a cluster's API server and starting it again with its objects kept. */
    STOP_API_SERVER,
    /** The network sandbox's own checks: the driver's isolated namespace, per-pod namespaces and routes. */
    NETWORK_SANDBOX,
    /** Rewriting the controllers' CA files (root and intermediates) and reading their debug ports. */
    CA_FILES,
    /** Ingress and egress gateways with an outside client and external services. */
    EDGES,
    /**
     * Pods in transparent capture (TPROXY: {@code isthmus iptables} in the pod's namespace, the
     * sidecar in its own group) and a plain server of the driver's inside the federation's network.
     */
    TRANSPARENT_CAPTURE
}
