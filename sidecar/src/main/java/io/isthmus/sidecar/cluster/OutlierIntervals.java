package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.OutlierConfig;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The outlier-detection interval timers of the clusters in force: one periodic timer per cluster
 * with outlier detection, ticking at its {@code interval}, which ends the interval of whichever
 * version of the cluster is in force at that moment. A timer lives as long as its cluster keeps
 * the same interval, so a reconfiguration does not restart the interval. Updated from one thread.
 */
final class OutlierIntervals {

    private final Vertx vertx;
    private final Function<String, Optional<UpstreamCluster>> clusters;
    private final Map<String, Timer> timers = new HashMap<>();

    /**
     * @param vertx for the timers
     * @param clusters the cluster of a name in force now
     */
    OutlierIntervals(Vertx vertx, Function<String, Optional<UpstreamCluster>> clusters) {
        this.vertx = vertx;
        this.clusters = clusters;
    }

    /** Keeps, starts and cancels timers so that exactly the clusters in {@code configs} with outlier detection have one. */
    void update(Map<String, ClusterConfig> configs) {
        for (Iterator<Map.Entry<String, Timer>> it = timers.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Timer> e = it.next();
            ClusterConfig c = configs.get(e.getKey());
            if (c == null || !c.outlier().map(OutlierConfig::interval).equals(Optional.of(e.getValue().interval()))) {
                vertx.cancelTimer(e.getValue().id());
                it.remove();
            }
        }
        for (ClusterConfig c : configs.values()) {
            if (c.outlier().isEmpty() || timers.containsKey(c.name())) {
                continue;
            }
            Duration interval = c.outlier().get().interval();
            String name = c.name();
            long id = vertx.setPeriodic(Math.max(1, interval.toMillis()),
                    tick -> clusters.apply(name).ifPresent(UpstreamCluster::endOutlierInterval));
            timers.put(name, new Timer(id, interval));
        }
    }

    /** Cancels every timer. */
    void close() {
        timers.values().forEach(t -> vertx.cancelTimer(t.id()));
        timers.clear();
    }

    private record Timer(long id, Duration interval) {
    }
}
