package io.isthmus.sidecar.filter;

import java.util.List;
import java.util.Objects;

/**
 * A TCP proxy chain: optional network RBAC, then relay bytes to one cluster.
 *
 * @param statPrefix its stat prefix
 * @param cluster the cluster to relay to
 * @param rbac network RBAC filters in order
 */
public record TcpChain(String statPrefix, String cluster, List<RbacPolicy> rbac) {
    public TcpChain {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(cluster, "cluster");
        rbac = List.copyOf(rbac);
        if (cluster.isEmpty()) {
            throw new IllegalArgumentException("cluster must not be empty");
        }
    }
}
