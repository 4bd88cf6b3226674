package io.isthmus.sidecar.lb;

/** The endpoint-picking policies the proxy implements. */
public enum LbPolicy {
    /** Weighted round robin. */
    ROUND_ROBIN,
    /** Least active requests among two random choices. */
    LEAST_REQUEST,
    /** Uniformly random. */
    RANDOM,
    /** Consistent hashing on a ring of host hashes ({@link HashLbConfig.RingHash}). */
    RING_HASH,
    /** Consistent hashing on a Maglev lookup table ({@link HashLbConfig.Maglev}). */
    MAGLEV;

    /** True for the policies that pick by the request's hash. */
    public boolean consistentHashing() {
        return this == RING_HASH || this == MAGLEV;
    }
}
