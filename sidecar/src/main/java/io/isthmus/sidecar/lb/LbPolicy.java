package io.isthmus.sidecar.lb;

/** The endpoint-picking policies the proxy implements. */
public enum LbPolicy {
    /** Weighted round robin. */
    ROUND_ROBIN,
    /** Least active requests among two random choices. */
    LEAST_REQUEST,
    /** Uniformly random. */
    RANDOM
}
