package io.isthmus.sidecar.endpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's outlier detection for one cluster. Consecutive errors are counted per endpoint as
 * outcomes arrive and eject at once; success rate and failure percentage are evaluated once per
 * interval ({@link #onInterval}) over the requests of the interval that just ended. An ejection
 * lasts a time that grows with repeated ejections and never takes more than the configured share
 * of the cluster out at once.
 */
public final class OutlierDetector {

    private static final Logger LOG = LoggerFactory.getLogger(OutlierDetector.class);

    private final String cluster;
    private final OutlierConfig config;
    private final LongSupplier nanoClock;
    private final Supplier<List<Endpoint>> endpoints;

    /**
     * @param cluster the cluster name, for logs
     * @param config the thresholds
     * @param nanoClock monotonic time in nanoseconds
     * @param endpoints the cluster's current endpoints, to bound the ejected share
     */
    public OutlierDetector(String cluster, OutlierConfig config, LongSupplier nanoClock,
                           Supplier<List<Endpoint>> endpoints) {
        this.cluster = cluster;
        this.config = config;
        this.nanoClock = nanoClock;
        this.endpoints = endpoints;
    }

    /** The configuration in force. */
    public OutlierConfig config() {
        return config;
    }

    /** Records one attempt's outcome against its endpoint and ejects it when a consecutive threshold is reached. */
    public void record(Endpoint endpoint, EndpointState.Outcome outcome) {
        OutlierConfig.LocalOrigin local = config.localOrigin();
        int[] counts = endpoint.state().record(outcome, local.split());
        if (reached(counts[1], config.consecutiveGatewayFailure())) {
            detected(endpoint, Reason.CONSECUTIVE_GATEWAY_FAILURE, config.enforcingGatewayFailure(), 1);
        }
        if (reached(counts[0], config.consecutive5xx())) {
            detected(endpoint, Reason.CONSECUTIVE_5XX, config.enforcing5xx(), 0);
        }
        if (local.split() && reached(counts[2], local.consecutive())) {
            detected(endpoint, Reason.CONSECUTIVE_LOCAL_ORIGIN_FAILURE, local.enforcing(), 2);
        }
    }

    private static boolean reached(int count, int threshold) {
        return threshold > 0 && count >= threshold;
    }

    /** As Envoy: a detection on an endpoint in rotation tries an ejection, then restarts that counter. */
    private void detected(Endpoint endpoint, Reason reason, int enforcing, int counter) {
        long now = nanoClock.getAsLong();
        if (!endpoint.state().ejected(now)) {
            tryEject(endpoint, reason, enforcing, now, endpoints.get(), "");
        }
        endpoint.state().resetConsecutive(counter);
    }

    /**
     * Ends an interval: every endpoint's counts of the interval become the sample, and success-rate
     * and failure-percentage ejection run over it (on responses, and with the split on local-origin
     * outcomes too). Called every {@link OutlierConfig#interval()} by the cluster manager.
     */
    public void onInterval() {
        List<Endpoint> all = endpoints.get();
        for (Endpoint e : all) {
            e.state().rollInterval();
        }
        long now = nanoClock.getAsLong();
        evaluate(all, now, false);
        if (config.localOrigin().split()) {
            evaluate(all, now, true);
        }
    }

    private void evaluate(List<Endpoint> all, long now, boolean local) {
        OutlierConfig.SuccessRate sr = config.successRate();
        OutlierConfig.FailurePercentage fp = config.failurePercentage();
        int srEnforcing = local ? sr.enforcingLocalOrigin() : sr.enforcing();
        int fpEnforcing = local ? fp.enforcingLocalOrigin() : fp.enforcing();
        if (all.size() < sr.minimumHosts() && all.size() < fp.minimumHosts()) {
            return;
        }
        List<Sample> srHosts = new ArrayList<>();
        List<Sample> fpHosts = new ArrayList<>();
        double sum = 0;
        for (Endpoint e : all) {
            if (e.state().ejected(now)) {
                continue;
            }
            long[] counts = e.state().lastInterval(local);
            if (counts[1] == 0) {
                continue;
            }
            Sample s = new Sample(e, counts[0] * 100.0 / counts[1], counts[1]);
            if (s.volume >= sr.requestVolume()) {
                srHosts.add(s);
                sum += s.rate;
            }
            if (s.volume >= fp.requestVolume()) {
                fpHosts.add(s);
            }
        }
        // the worst first, so that max_ejection_percent keeps the better ones in rotation
        Comparator<Sample> worstFirst = Comparator.comparingDouble(Sample::rate);
        if (!srHosts.isEmpty() && srHosts.size() >= sr.minimumHosts()) {
            double mean = sum / srHosts.size();
            double variance = 0;
            for (Sample s : srHosts) {
                variance += (s.rate - mean) * (s.rate - mean);
            }
            double threshold = mean - sr.stdevFactor() / 1000.0 * Math.sqrt(variance / srHosts.size());
            srHosts.sort(worstFirst);
            for (Sample s : srHosts) {
                if (s.rate < threshold && !s.endpoint.state().ejected(now)) {
                    tryEject(s.endpoint, local ? Reason.SUCCESS_RATE_LOCAL_ORIGIN : Reason.SUCCESS_RATE, srEnforcing, now, all,
                            String.format(" success_rate=%.1f mean=%.1f threshold=%.1f volume=%d", s.rate, mean, threshold,
                                    s.volume));
                }
            }
        }
        if (!fpHosts.isEmpty() && fpHosts.size() >= fp.minimumHosts()) {
            fpHosts.sort(worstFirst);
            for (Sample s : fpHosts) {
                if (100.0 - s.rate >= fp.threshold() && !s.endpoint.state().ejected(now)) {
                    tryEject(s.endpoint, local ? Reason.FAILURE_PERCENTAGE_LOCAL_ORIGIN : Reason.FAILURE_PERCENTAGE, fpEnforcing,
                            now, all, String.format(" failure_percentage=%.1f volume=%d", 100.0 - s.rate, s.volume));
                }
            }
        }
    }

    /**
     * Ejects when {@code max_ejection_percent} leaves room for one more ejected endpoint (or none is
     * ejected and {@code always_eject_one_host} is set) and the enforcement percentage says so.
     * Serialized per cluster so that concurrent detections cannot both take the last slot.
     */
    private synchronized void tryEject(Endpoint endpoint, Reason reason, int enforcing, long now, List<Endpoint> all,
                                       String detail) {
        if (enforcing == 0 || endpoint.state().ejected(now)) {
            return;
        }
        long ejected = all.stream().filter(e -> e.state().ejected(now)).count();
        boolean room = (ejected + 1) * 100 <= (long) config.maxEjectionPercent() * all.size()
                || (config.alwaysEjectOneHost() && ejected == 0);
        if (!room) {
            LOG.info("outlier ejection overflow [{} {}] reason={} ejected={}/{} max_ejection_percent={}", cluster,
                    endpoint.address(), reason.label, ejected, all.size(), config.maxEjectionPercent());
            return;
        }
        if (!enforce(enforcing)) {
            LOG.debug("outlier detected, not enforced [{} {}] reason={}{}", cluster, endpoint.address(), reason.label, detail);
            return;
        }
        long jitterMillis = config.maxEjectionTimeJitter().toMillis();
        long jitter = jitterMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(jitterMillis + 1) * 1_000_000L;
        endpoint.state().eject(now, config, jitter);
        LOG.info("outlier ejected [{} {}] reason={} times={}{}", cluster, endpoint.address(), reason.label,
                endpoint.state().ejectionCount(), detail);
    }

    private static boolean enforce(int percent) {
        return percent >= 100 || (percent > 0 && ThreadLocalRandom.current().nextInt(100) < percent);
    }

    private record Sample(Endpoint endpoint, double rate, long volume) {
    }

    /** Why an endpoint was ejected, with Envoy's names. */
    private enum Reason {
        CONSECUTIVE_5XX("consecutive_5xx"),
        CONSECUTIVE_GATEWAY_FAILURE("consecutive_gateway_failure"),
        CONSECUTIVE_LOCAL_ORIGIN_FAILURE("consecutive_local_origin_failure"),
        SUCCESS_RATE("success_rate"),
        SUCCESS_RATE_LOCAL_ORIGIN("success_rate_local_origin"),
        FAILURE_PERCENTAGE("failure_percentage"),
        FAILURE_PERCENTAGE_LOCAL_ORIGIN("failure_percentage_local_origin");

        final String label;

        Reason(String label) {
            this.label = label;
        }
    }
}
