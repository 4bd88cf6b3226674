package io.isthmus.sidecar.endpoint;

import java.time.Duration;
import java.util.Objects;

/**
 * Outlier detection of a cluster (Envoy's {@code OutlierDetection}, the consecutive-error part).
 *
 * @param consecutive5xx errors in a row (5xx responses and, locally, connect failures and resets)
 *     that eject an endpoint; Envoy default 5
 * @param enforcing5xx percent chance an ejection by {@code consecutive5xx} is enforced; default 100
 * @param consecutiveGatewayFailure 502/503/504 and connect failures in a row that eject; default 5
 * @param enforcingGatewayFailure percent enforcement of gateway-failure ejection; Envoy default 0
 * @param interval how often ejection multipliers decay; default 10 s
 * @param baseEjectionTime ejection time, multiplied by the number of times ejected; default 30 s
 * @param maxEjectionTime upper bound of one ejection; default 300 s
 * @param maxEjectionPercent at most this share of the cluster's endpoints is ejected at once
 *     (the first ejection is always allowed); default 10
 */
public record OutlierConfig(
        int consecutive5xx,
        int enforcing5xx,
        int consecutiveGatewayFailure,
        int enforcingGatewayFailure,
        Duration interval,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent) {

    /** Envoy's defaults for a cluster that sets {@code outlier_detection: {}}. */
    public static final OutlierConfig ENVOY_DEFAULTS = new OutlierConfig(5, 100, 5, 0,
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 10);

    /**
     * The defaults for mesh clusters ({@code outbound|...}) that carry no outlier detection: a dead
     * endpoint (five connect failures or gateway errors in a row) leaves the rotation, and all of a
     * priority may leave, so that traffic fails over to the next priority.
     */
    public static final OutlierConfig MESH_DEFAULTS = new OutlierConfig(5, 100, 5, 100,
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 100);

    public OutlierConfig {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
        if (consecutive5xx < 1 || consecutiveGatewayFailure < 1) {
            throw new IllegalArgumentException("consecutive thresholds must be >= 1");
        }
        if (enforcing5xx < 0 || enforcing5xx > 100 || enforcingGatewayFailure < 0 || enforcingGatewayFailure > 100
                || maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("percentages must be 0..100");
        }
        if (interval.isNegative() || interval.isZero() || baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
            throw new IllegalArgumentException("interval and base ejection time must be positive");
        }
    }
}
