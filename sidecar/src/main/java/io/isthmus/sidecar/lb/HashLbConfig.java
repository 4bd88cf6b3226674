package io.isthmus.sidecar.lb;

/** The table of a consistent-hash cluster: Envoy's {@code ring_hash_lb_config} or {@code maglev_lb_config}. */
public sealed interface HashLbConfig permits HashLbConfig.RingHash, HashLbConfig.Maglev {

    /** The cluster's {@code lb_policy} this table belongs to. */
    LbPolicy policy();

    /**
     * A ring of host hashes (Envoy's ketama-style ring): each host gets a number of points proportional to its
     * weight, the least weighted at least {@code ceil(minimumRingSize × its share)}; the ring has at most
     * {@code maximumRingSize} points.
     *
     * @param minimumRingSize points at least; Envoy's default 1024
     * @param maximumRingSize points at most; Envoy's default and limit 8,388,608
     */
    record RingHash(long minimumRingSize, long maximumRingSize) implements HashLbConfig {
        /** Envoy's default {@code minimum_ring_size}. */
        public static final long DEFAULT_MINIMUM = 1024;
        /** Envoy's default and largest {@code maximum_ring_size} (8 Mi points, about 100 MB for one ring). */
        public static final long LIMIT = 8L << 20;
        /** Envoy's defaults. */
        public static final RingHash DEFAULTS = new RingHash(DEFAULT_MINIMUM, LIMIT);

        public RingHash {
            if (minimumRingSize < 1 || maximumRingSize > LIMIT || minimumRingSize > maximumRingSize) {
                throw new IllegalArgumentException("ring sizes must satisfy 1 <= minimum <= maximum <= " + LIMIT
                        + ", got " + minimumRingSize + " and " + maximumRingSize);
            }
        }

        @Override
        public LbPolicy policy() {
            return LbPolicy.RING_HASH;
        }
    }

    /**
     * A Maglev lookup table (Eisenbud et al., 2016): {@code tableSize} entries filled from each host's
     * permutation in turn, in proportion to the hosts' weights.
     *
     * @param tableSize entries, a prime; Envoy's default 65,537, at most 5,000,011
     */
    record Maglev(int tableSize) implements HashLbConfig {
        /** Envoy's default {@code table_size}. */
        public static final int DEFAULT_TABLE_SIZE = 65_537;
        /** Envoy's largest {@code table_size}. */
        public static final int LIMIT = 5_000_011;
        /** Envoy's defaults. */
        public static final Maglev DEFAULTS = new Maglev(DEFAULT_TABLE_SIZE);

        public Maglev {
            if (tableSize > LIMIT || !isPrime(tableSize)) {
                throw new IllegalArgumentException("table size must be a prime of at most " + LIMIT + ", got " + tableSize);
            }
        }

        @Override
        public LbPolicy policy() {
            return LbPolicy.MAGLEV;
        }

        /** True when {@code n} is a prime (trial division: table sizes are small). */
        public static boolean isPrime(long n) {
            if (n < 2) {
                return false;
            }
            if (n % 2 == 0) {
                return n == 2;
            }
            for (long d = 3; d * d <= n; d += 2) {
                if (n % d == 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
