package io.isthmus.e2e.support;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scene's failover steps, shared by the scenarios that run it under load from east's client:
 * every {@code reviews} pod of east killed, traffic awaited on west (through west's gateway), east's
 * pods started again and traffic awaited back on east; and the times measured from the load's samples.
 */
public final class Failover {
    /** How long after a pod dies its endpoint leaves the EndpointSlice (kubelet + endpoint controller lag). */
    public static final Duration ENDPOINT_DELAY = Duration.ofMillis(Long.getLong("isthmus.e2e.endpointDelayMs", 1000));

    private Failover() {
    }

    /** Kills every {@code reviews} pod of east (endpoints leave {@link #ENDPOINT_DELAY} later); returns when it happened. */
    public static long killEastReviews(Federation fed) {
        List<? extends MeshPod> eastReviews = fed.cluster("east").pods("reviews");
        assertThat(eastReviews).as("east's reviews pods").isNotEmpty();
        long killedAt = System.currentTimeMillis();
        for (MeshPod p : eastReviews) {
            fed.kill(p, ENDPOINT_DELAY);
        }
        return killedAt;
    }

    /** Waits until load {@code load} of {@code client} has settled on {@code cluster} since {@code since} (50 answers there). */
    public static void awaitSettled(MeshPod client, String load, String cluster, long since) {
        await("traffic of " + load + " settled on " + cluster).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    LoadReport r = client.loadStats(load);
                    return r.settledOn(cluster, since).map(s -> r.since(s.startMillis()).size() >= 50).orElse(false);
                });
    }

    /** Starts east's reviews pods again (v1 in zone a, v2 in zone b) and waits until they are ready; returns when they were. */
    public static long restoreEastReviews(Federation fed) {
        fed.startPod("reviews", "east", "us-east-1a", "v1");
        fed.startPod("reviews", "east", "us-east-1b", "v2");
        return System.currentTimeMillis();
    }

    /**
     * The times of one failover and recovery, from a load's samples.
     *
     * @param failoverMs  from the kill until the load settled on west
     * @param firstWestMs from the kill until the first answer from west
     * @param failedDuringFailover failed requests between the kill and the settling
     * @param recoveryMs  from east's pods being ready until the first answer from east
     */
    public record Times(long failoverMs, long firstWestMs, long failedDuringFailover, long recoveryMs) {
        /**
         * Measures them.
         *
         * @param all      every sample of the load
         * @param killedAt when east's pods were killed
         * @param readyAt  when east's new pods were ready
         */
        public static Times of(LoadReport all, long killedAt, long readyAt) {
            LoadReport.Sample firstWest = all.firstOkFrom("west", killedAt).orElseThrow(
                    () -> new AssertionError("no answer from west after the kill"));
            LoadReport.Sample settledWest = all.settledOn("west", killedAt).orElse(firstWest);
            LoadReport.Sample backEast = all.firstOkFrom("east", readyAt).orElseThrow(
                    () -> new AssertionError("no answer from east after its pods came back"));
            long failed = all.failures().stream().filter(s -> s.startMillis() >= killedAt
                    && s.startMillis() < settledWest.startMillis() + 1).count();
            return new Times(settledWest.startMillis() - killedAt, firstWest.startMillis() - killedAt, failed,
                    backEast.startMillis() - readyAt);
        }

        /** Adds the times to a report, names prefixed with {@code prefix} (empty for none). */
        public ScenarioReport addTo(ScenarioReport report, String prefix) {
            return report.value(name(prefix, "failoverMs"), failoverMs).value(name(prefix, "firstWestMs"), firstWestMs)
                    .value(name(prefix, "failedDuringFailover"), failedDuringFailover).value(name(prefix, "recoveryMs"), recoveryMs);
        }

        private static String name(String prefix, String n) {
            return prefix.isEmpty() ? n : prefix + Character.toUpperCase(n.charAt(0)) + n.substring(1);
        }
    }
}
