package io.isthmus.controller.registry;

/** The health of one endpoint as its cluster's API server last reported it. */
public enum EndpointHealth {
    /** Ready: receives traffic. */
    HEALTHY,
    /** Not ready (EndpointSlice {@code ready=false}, terminating, or failing probes): no traffic. */
    UNHEALTHY,
    /**
     * Was ready when its cluster's API server was last reachable; the server is unreachable now. Keeps
     * receiving traffic (last-known state) until the server answers or its cluster leaves.
     */
    STALE;

    /** Whether proxies should send traffic to an endpoint in this state (HEALTHY or STALE). */
    public boolean serving() {
        return this != UNHEALTHY;
    }
}
