package io.isthmus.sidecar.endpoint;

import java.time.Duration;
import java.util.Objects;

/**
 * Outlier detection of a cluster (Envoy's {@code OutlierDetection}): consecutive errors, success
 * rate and failure percentage, with Envoy's defaults for what a config leaves out.
 *
 * @param consecutive5xx errors in a row (5xx responses and, unless split, local failures) that
 *     eject an endpoint; 0 never ejects; Envoy default 5
 * @param enforcing5xx percent chance an ejection by {@code consecutive5xx} is enforced; default 100
 * @param consecutiveGatewayFailure 502/503/504 (and, unless split, local failures) in a row that
 *     eject; 0 never ejects; default 5
 * @param enforcingGatewayFailure percent enforcement of gateway-failure ejection; Envoy default 0
 * @param interval how often success rates are evaluated and ejection multipliers decay; default 10 s
 * @param baseEjectionTime ejection time, multiplied by the number of times ejected; default 30 s
 * @param maxEjectionTime upper bound of one ejection (before jitter); default 300 s or the base,
 *     whichever is larger
 * @param maxEjectionPercent at most this share of the cluster's endpoints is ejected at once; default 10
 * @param alwaysEjectOneHost the first ejection is allowed whatever {@code maxEjectionPercent} says
 * @param maxEjectionTimeJitter a random 0..this is added to each ejection; default 0
 * @param successRate success-rate ejection
 * @param failurePercentage failure-percentage ejection
 * @param localOrigin the split of local-origin (connection) errors from the upstream's responses
 */
public record OutlierConfig(
        int consecutive5xx,
        int enforcing5xx,
        int consecutiveGatewayFailure,
        int enforcingGatewayFailure,
        Duration interval,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent,
        boolean alwaysEjectOneHost,
        Duration maxEjectionTimeJitter,
        SuccessRate successRate,
        FailurePercentage failurePercentage,
        LocalOrigin localOrigin) {

    /** Envoy's defaults for a cluster that sets {@code outlier_detection: {}}. */
    public static final OutlierConfig ENVOY_DEFAULTS = new OutlierConfig(5, 100, 5, 0,
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 10, false, Duration.ZERO,
            SuccessRate.ENVOY_DEFAULTS, FailurePercentage.ENVOY_DEFAULTS, LocalOrigin.ENVOY_DEFAULTS);

    /**
     * The defaults for mesh clusters ({@code outbound|...}) that carry no outlier detection: a dead
     * endpoint (five connect failures or gateway errors in a row) leaves the rotation, and all of a
     * priority may leave, so that traffic fails over to the next priority. Success-rate ejection is
     * off, as Istio turns it off.
     */
    public static final OutlierConfig MESH_DEFAULTS = new OutlierConfig(5, 100, 5, 100,
            Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(300), 100, false, Duration.ZERO,
            new SuccessRate(5, 100, 1900, 0, 0), FailurePercentage.ENVOY_DEFAULTS, LocalOrigin.ENVOY_DEFAULTS);

    public OutlierConfig {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
        Objects.requireNonNull(maxEjectionTimeJitter, "maxEjectionTimeJitter");
        Objects.requireNonNull(successRate, "successRate");
        Objects.requireNonNull(failurePercentage, "failurePercentage");
        Objects.requireNonNull(localOrigin, "localOrigin");
        if (consecutive5xx < 0 || consecutiveGatewayFailure < 0) {
            throw new IllegalArgumentException("consecutive thresholds must be >= 0");
        }
        percent("enforcing_consecutive_5xx", enforcing5xx);
        percent("enforcing_consecutive_gateway_failure", enforcingGatewayFailure);
        percent("max_ejection_percent", maxEjectionPercent);
        if (interval.isNegative() || interval.isZero() || baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
            throw new IllegalArgumentException("interval and base_ejection_time must be positive");
        }
        if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
            throw new IllegalArgumentException("max_ejection_time cannot be smaller than base_ejection_time");
        }
        if (maxEjectionTimeJitter.isNegative()) {
            throw new IllegalArgumentException("max_ejection_time_jitter must not be negative");
        }
    }

    static void percent(String field, int value) {
        if (value < 0 || value > 100) {
            throw new IllegalArgumentException(field + " must be 0..100, not " + value);
        }
    }

    /**
     * Success-rate ejection: every interval, the endpoints with at least {@code requestVolume}
     * requests in it are compared when there are at least {@code minimumHosts} of them; one whose
     * success rate is below {@code mean - stdevFactor / 1000 × stdev} is ejected.
     *
     * @param minimumHosts endpoints with enough volume needed to evaluate; default 5
     * @param requestVolume requests an endpoint needs in the interval to count; default 100
     * @param stdevFactor the factor × 1000; default 1900 (1.9)
     * @param enforcing percent enforcement on response (external) success rate; default 100
     * @param enforcingLocalOrigin percent enforcement on local-origin success rate (split only); default 100
     */
    public record SuccessRate(int minimumHosts, int requestVolume, int stdevFactor, int enforcing,
                              int enforcingLocalOrigin) {

        /** Envoy's defaults. */
        public static final SuccessRate ENVOY_DEFAULTS = new SuccessRate(5, 100, 1900, 100, 100);

        public SuccessRate {
            if (minimumHosts < 0 || requestVolume < 0 || stdevFactor < 0) {
                throw new IllegalArgumentException("success_rate settings must not be negative");
            }
            percent("enforcing_success_rate", enforcing);
            percent("enforcing_local_origin_success_rate", enforcingLocalOrigin);
        }
    }

    /**
     * Failure-percentage ejection: every interval, when at least {@code minimumHosts} endpoints had
     * {@code requestVolume} requests in it, each of them whose failures reach {@code threshold}
     * percent is ejected.
     *
     * @param threshold failure percent that ejects; default 85
     * @param minimumHosts endpoints with enough volume needed to evaluate; default 5
     * @param requestVolume requests an endpoint needs in the interval to count; default 50
     * @param enforcing percent enforcement on responses; Envoy default 0 (off)
     * @param enforcingLocalOrigin percent enforcement on local-origin failures (split only); default 0
     */
    public record FailurePercentage(int threshold, int minimumHosts, int requestVolume, int enforcing,
                                    int enforcingLocalOrigin) {

        /** Envoy's defaults. */
        public static final FailurePercentage ENVOY_DEFAULTS = new FailurePercentage(85, 5, 50, 0, 0);

        public FailurePercentage {
            percent("failure_percentage_threshold", threshold);
            if (minimumHosts < 0 || requestVolume < 0) {
                throw new IllegalArgumentException("failure_percentage settings must not be negative");
            }
            percent("enforcing_failure_percentage", enforcing);
            percent("enforcing_failure_percentage_local_origin", enforcingLocalOrigin);
        }
    }

    /**
     * Envoy's {@code split_external_local_origin_errors}: with it, connect failures, resets and
     * timeouts only count towards {@code consecutive} and the local-origin success rate, and the
     * 5xx and gateway-failure counters see the upstream's responses only.
     *
     * @param split whether local-origin errors are counted apart
     * @param consecutive local-origin failures in a row that eject; 0 never ejects; default 5
     * @param enforcing percent enforcement of that ejection; default 100
     */
    public record LocalOrigin(boolean split, int consecutive, int enforcing) {

        /** Envoy's defaults (no split). */
        public static final LocalOrigin ENVOY_DEFAULTS = new LocalOrigin(false, 5, 100);

        public LocalOrigin {
            if (consecutive < 0) {
                throw new IllegalArgumentException("consecutive_local_origin_failure must be >= 0");
            }
            percent("enforcing_consecutive_local_origin_failure", enforcing);
        }
    }
}
