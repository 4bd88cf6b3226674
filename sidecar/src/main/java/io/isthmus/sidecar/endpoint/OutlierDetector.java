package io.isthmus.sidecar.endpoint;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Envoy's consecutive-error outlier detection for one cluster: counts each endpoint's errors in a
 * row and ejects it for a time that grows with repeated ejections, never ejecting more than the
 * configured share of the cluster at once.
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

    /** Records one attempt's outcome against its endpoint and ejects it when a threshold is reached. */
    public void record(Endpoint endpoint, EndpointState.Outcome outcome) {
        int[] counts = endpoint.state().record(outcome);
        boolean by5xx = counts[0] >= config.consecutive5xx() && enforce(config.enforcing5xx());
        boolean byGateway = counts[1] >= config.consecutiveGatewayFailure() && enforce(config.enforcingGatewayFailure());
        if (!by5xx && !byGateway) {
            return;
        }
        long now = nanoClock.getAsLong();
        List<Endpoint> all = endpoints.get();
        long ejected = all.stream().filter(e -> e.state().ejected(now)).count();
        if (ejected > 0 && ejected * 100 >= (long) config.maxEjectionPercent() * all.size()) {
            return;
        }
        if (ejected > 0 && (ejected + 1) * 100 > (long) config.maxEjectionPercent() * all.size()) {
            return;
        }
        endpoint.state().eject(now, config);
        LOG.info("outlier ejected [{} {}] reason={} times={}", cluster, endpoint.address(),
                byGateway ? "consecutive_gateway_failure" : "consecutive_5xx", endpoint.state().ejectionCount());
    }

    private static boolean enforce(int percent) {
        return percent >= 100 || (percent > 0 && ThreadLocalRandom.current().nextInt(100) < percent);
    }
}
