package io.isthmus.sidecar.cluster;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.sidecar.lb.HashLbConfig;
import io.isthmus.sidecar.lb.LbPolicy;
import java.util.Optional;

/**
 * The load-balancing fields of a CDS {@code Cluster}: {@code lb_policy}, with {@code ring_hash_lb_config} for
 * RING_HASH and {@code maglev_lb_config} for MAGLEV (validated as Envoy does), and the consistent-hashing part of
 * {@code common_lb_config}. Whatever would change behaviour and is not honoured is refused naming the field.
 */
final class LbPolicies {

    private LbPolicies() {
    }

    /**
     * A cluster's endpoint picking.
     *
     * @param policy the policy
     * @param hashLb the table of a RING_HASH or MAGLEV cluster, empty for the others
     */
    record Choice(LbPolicy policy, Optional<HashLbConfig> hashLb) {
    }

    /**
     * Reads the policy of a cluster; an ORIGINAL_DST cluster's one host per connection needs no balancer and keeps
     * the default ({@code CLUSTER_PROVIDED} is checked with its other fields).
     */
    static Choice of(Cluster c, boolean originalDst) throws InvalidResourceException {
        String name = c.getName();
        if (c.hasLoadBalancingPolicy()) {
            throw invalid(name, "load_balancing_policy", "typed load balancing policies are not supported; use lb_policy");
        }
        if (c.hasLbSubsetConfig()) {
            throw invalid(name, "lb_subset_config", "subset load balancing is not supported");
        }
        LbPolicy lb = originalDst ? LbPolicy.ROUND_ROBIN : switch (c.getLbPolicy()) {
            case ROUND_ROBIN -> LbPolicy.ROUND_ROBIN;
            case LEAST_REQUEST -> LbPolicy.LEAST_REQUEST;
            case RANDOM -> LbPolicy.RANDOM;
            case RING_HASH -> LbPolicy.RING_HASH;
            case MAGLEV -> LbPolicy.MAGLEV;
            default -> throw invalid(name, "lb_policy", c.getLbPolicy() + " is not supported");
        };
        if (c.hasRingHashLbConfig() && lb != LbPolicy.RING_HASH) {
            throw invalid(name, "ring_hash_lb_config", "only valid with lb_policy RING_HASH, not " + c.getLbPolicy());
        }
        if (c.hasMaglevLbConfig() && lb != LbPolicy.MAGLEV) {
            throw invalid(name, "maglev_lb_config", "only valid with lb_policy MAGLEV, not " + c.getLbPolicy());
        }
        if (c.getCommonLbConfig().hasConsistentHashingLbConfig()) {
            Cluster.CommonLbConfig.ConsistentHashingLbConfig h = c.getCommonLbConfig().getConsistentHashingLbConfig();
            String f = "common_lb_config.consistent_hashing_lb_config";
            if (h.getUseHostnameForHashing()) {
                throw invalid(name, f + ".use_hostname_for_hashing", "not supported: hosts are hashed by address");
            }
            if (h.hasHashBalanceFactor()) {
                throw invalid(name, f + ".hash_balance_factor", "consistent hashing with bounded loads is not supported");
            }
        }
        return switch (lb) {
            case RING_HASH -> new Choice(lb, Optional.of(ringHash(c)));
            case MAGLEV -> new Choice(lb, Optional.of(maglev(c)));
            default -> new Choice(lb, Optional.empty());
        };
    }

    private static HashLbConfig.RingHash ringHash(Cluster c) throws InvalidResourceException {
        if (!c.hasRingHashLbConfig()) {
            return HashLbConfig.RingHash.DEFAULTS;
        }
        String name = c.getName();
        Cluster.RingHashLbConfig r = c.getRingHashLbConfig();
        switch (r.getHashFunction()) {
            case XX_HASH -> { }
            case MURMUR_HASH_2 -> throw invalid(name, "ring_hash_lb_config.hash_function",
                    "MURMUR_HASH_2 is not supported; use XX_HASH");
            default -> throw invalid(name, "ring_hash_lb_config.hash_function", "unknown value " + r.getHashFunctionValue());
        }
        long min = size(name, "ring_hash_lb_config.minimum_ring_size", r.hasMinimumRingSize()
                ? r.getMinimumRingSize().getValue() : HashLbConfig.RingHash.DEFAULT_MINIMUM);
        long max = size(name, "ring_hash_lb_config.maximum_ring_size", r.hasMaximumRingSize()
                ? r.getMaximumRingSize().getValue() : HashLbConfig.RingHash.LIMIT);
        if (min > max) {
            throw invalid(name, r.hasMinimumRingSize() ? "ring_hash_lb_config.minimum_ring_size"
                    : "ring_hash_lb_config.maximum_ring_size", "minimum_ring_size (" + min
                    + ") exceeds maximum_ring_size (" + max + ")");
        }
        return new HashLbConfig.RingHash(min, max);
    }

    /** A ring size, 1..8,388,608 (Envoy's bound; a {@code uint64} past 2⁶³ reads as negative here). */
    private static long size(String name, String field, long value) throws InvalidResourceException {
        if (value < 1 || value > HashLbConfig.RingHash.LIMIT) {
            throw invalid(name, field, "must be 1.." + HashLbConfig.RingHash.LIMIT + ", got " + Long.toUnsignedString(value));
        }
        return value;
    }

    private static HashLbConfig.Maglev maglev(Cluster c) throws InvalidResourceException {
        if (!c.hasMaglevLbConfig() || !c.getMaglevLbConfig().hasTableSize()) {
            return HashLbConfig.Maglev.DEFAULTS;
        }
        long size = c.getMaglevLbConfig().getTableSize().getValue();
        String field = "maglev_lb_config.table_size";
        if (size < 0 || size > HashLbConfig.Maglev.LIMIT) {
            throw invalid(c.getName(), field, "must be at most " + HashLbConfig.Maglev.LIMIT + ", got " + Long.toUnsignedString(size));
        }
        if (!HashLbConfig.Maglev.isPrime(size)) {
            throw invalid(c.getName(), field, "must be a prime number, got " + size);
        }
        return new HashLbConfig.Maglev((int) size);
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.CLUSTER, name, field, reason);
    }
}
