package io.isthmus.sidecar.endpoint;

import java.util.Objects;

/**
 * One upstream endpoint of a cluster as the current load assignment places it, with its live state.
 *
 * @param address where to connect
 * @param locality the locality group it belongs to
 * @param priority 0 = most preferred
 * @param weight load-balancing weight, >= 1
 * @param healthy false when EDS says UNHEALTHY, DRAINING or TIMEOUT
 * @param state live state, shared with the same address in earlier and later assignments
 * @param socketMatch its own {@code envoy.transport_socket_match} metadata, which chooses the
 *     cluster's transport socket for it ({@code transport_socket_matches}); empty when it has none
 * @param localitySocketMatch the {@code envoy.transport_socket_match} metadata of its locality group,
 *     consulted when no socket match fits its own; empty when the group has none
 * @param clusterId the mesh cluster of the workloads behind it (its {@code istio} metadata's {@code cluster}: the
 *     pod's cluster, or for an east-west gateway the cluster it fronts), which source-side metrics report as
 *     {@code destination_cluster}; empty when not known
 */
public record Endpoint(EndpointAddress address, LocalityKey locality, int priority, int weight,
                       boolean healthy, EndpointState state, SocketMatchLabels socketMatch,
                       SocketMatchLabels localitySocketMatch, String clusterId) {

    public Endpoint {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(locality, "locality");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(socketMatch, "socketMatch");
        Objects.requireNonNull(localitySocketMatch, "localitySocketMatch");
        Objects.requireNonNull(clusterId, "clusterId");
        if (priority < 0) {
            throw new IllegalArgumentException("priority must be >= 0");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1");
        }
    }

    /** An endpoint without metadata. */
    public Endpoint(EndpointAddress address, LocalityKey locality, int priority, int weight, boolean healthy,
                    EndpointState state) {
        this(address, locality, priority, weight, healthy, state, SocketMatchLabels.NONE, SocketMatchLabels.NONE, "");
    }

    /** True when the endpoint may receive traffic now: healthy by EDS and not ejected. */
    public boolean available(long nowNanos) {
        return healthy && !state.ejected(nowNanos);
    }

    @Override
    public String toString() {
        return address + "(p" + priority + ")";
    }
}
