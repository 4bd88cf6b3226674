package io.isthmus.sidecar.route;

import java.util.Objects;

/**
 * One cluster a route sends to, with its share.
 *
 * @param cluster the cluster name
 * @param weight relative weight, >= 0 (0 receives nothing)
 */
public record WeightedTarget(String cluster, int weight) {
    public WeightedTarget {
        Objects.requireNonNull(cluster, "cluster");
        if (cluster.isEmpty()) {
            throw new IllegalArgumentException("cluster must not be empty");
        }
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0");
        }
    }
}
