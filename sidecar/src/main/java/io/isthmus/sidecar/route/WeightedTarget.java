package io.isthmus.sidecar.route;

import java.util.Objects;

/**
 * One cluster a route sends to, with its share.
 *
 * @param cluster the cluster name
 * @param weight relative weight, >= 0 (0 receives nothing)
 * @param headerMutations the header mutations of requests sent to it and of their responses: all levels, its own
 *     (a weighted cluster's) included
 */
public record WeightedTarget(String cluster, int weight, HeaderMutations headerMutations) {

    /** A target without header mutations. */
    public WeightedTarget(String cluster, int weight) {
        this(cluster, weight, HeaderMutations.NONE);
    }

    public WeightedTarget {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(headerMutations, "headerMutations");
        if (cluster.isEmpty()) {
            throw new IllegalArgumentException("cluster must not be empty");
        }
        if (weight < 0) {
            throw new IllegalArgumentException("weight must be >= 0");
        }
    }
}
