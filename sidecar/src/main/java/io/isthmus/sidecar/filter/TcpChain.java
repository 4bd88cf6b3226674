package io.isthmus.sidecar.filter;

import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A TCP proxy chain: optional network RBAC, then relay bytes to one cluster, picked by weight for
 * each new connection (Envoy's {@code tcp_proxy} with {@code cluster} or {@code weighted_clusters}).
 *
 * @param statPrefix its stat prefix
 * @param clusters the clusters a connection may go to, with their relative weights, in configuration
 *     order; a single entry for {@code tcp_proxy.cluster}
 * @param rbac network RBAC filters in order
 * @param hashSourceIp whether a connection's endpoint in a consistent-hash cluster is picked by the hash of the
 *     client's IP address ({@code hash_policy} {@code source_ip}), else by a random hash
 * @param maxConnectAttempts how many endpoints of the picked cluster a connection tries before it is closed
 *     ({@code max_connect_attempts}; {@value #DEFAULT_CONNECT_ATTEMPTS} when the proxy config sets none)
 */
public record TcpChain(String statPrefix, List<WeightedCluster> clusters, List<RbacPolicy> rbac, boolean hashSourceIp,
                       int maxConnectAttempts) {

    /**
     * Connect attempts when {@code max_connect_attempts} is not set: Envoy makes one, the proxy three, so that a
     * connection is not lost to one endpoint that went away before outlier detection or EDS took it out.
     */
    public static final int DEFAULT_CONNECT_ATTEMPTS = 3;

    /** The largest weight of one cluster (Envoy's weights are {@code uint32}). */
    public static final long MAX_WEIGHT = 0xFFFF_FFFFL;

    /**
     * One cluster of a chain and its weight.
     *
     * @param name the cluster name
     * @param weight relative weight, 1..{@value #MAX_WEIGHT} (Envoy refuses 0): the cluster gets this
     *     share of the sum of the chain's weights of new connections
     */
    public record WeightedCluster(String name, long weight) {
        public WeightedCluster {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("cluster name must not be empty");
            }
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException("weight must be 1.." + MAX_WEIGHT + ", got " + weight);
            }
        }
    }

    public TcpChain {
        Objects.requireNonNull(statPrefix, "statPrefix");
        clusters = List.copyOf(clusters);
        rbac = List.copyOf(rbac);
        if (clusters.isEmpty()) {
            throw new IllegalArgumentException("a TCP proxy needs at least one cluster");
        }
        if (maxConnectAttempts < 1) {
            throw new IllegalArgumentException("maxConnectAttempts must be >= 1");
        }
    }

    /** A chain with the default connect attempts. */
    public TcpChain(String statPrefix, List<WeightedCluster> clusters, List<RbacPolicy> rbac, boolean hashSourceIp) {
        this(statPrefix, clusters, rbac, hashSourceIp, DEFAULT_CONNECT_ATTEMPTS);
    }

    /** A chain relaying every connection to {@code cluster}. */
    public static TcpChain of(String statPrefix, String cluster, List<RbacPolicy> rbac) {
        return new TcpChain(statPrefix, List.of(new WeightedCluster(cluster, 1)), rbac, false);
    }

    /** A chain without a hash policy. */
    public TcpChain(String statPrefix, List<WeightedCluster> clusters, List<RbacPolicy> rbac) {
        this(statPrefix, clusters, rbac, false);
    }

    /** This chain with the {@code source_ip} hash policy on or off. */
    public TcpChain withSourceIpHash(boolean on) {
        return new TcpChain(statPrefix, clusters, rbac, on, maxConnectAttempts);
    }

    /** This chain with {@code attempts} connect attempts per connection. */
    public TcpChain withMaxConnectAttempts(int attempts) {
        return new TcpChain(statPrefix, clusters, rbac, hashSourceIp, attempts);
    }

    /**
     * The cluster of a new connection: each cluster with the probability of its weight over the sum of
     * the weights; a single cluster without drawing. The connection keeps it to its end, including
     * the connect attempts to further endpoints when one refuses.
     */
    public String pick(RandomGenerator random) {
        if (clusters.size() == 1) {
            return clusters.get(0).name();
        }
        long total = 0;
        for (int i = 0, n = clusters.size(); i < n; i++) {
            total += clusters.get(i).weight();
        }
        long roll = random.nextLong(total);
        for (int i = 0, n = clusters.size(); i < n; i++) {
            WeightedCluster c = clusters.get(i);
            if (roll < c.weight()) {
                return c.name();
            }
            roll -= c.weight();
        }
        throw new IllegalStateException("roll " + roll + " past the total weight " + total);
    }
}
