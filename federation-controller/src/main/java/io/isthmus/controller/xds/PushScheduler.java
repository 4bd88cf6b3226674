package io.isthmus.controller.xds;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debounces change notifications into pushes: a push runs once no change arrived for the debounce
 * period, or at the latest two debounce periods after the first change of the batch, so a storm of
 * endpoint updates costs one push per window and a steady trickle (one change per debounce period)
 * still gets out within two periods. Pushes run one at a time on the scheduler's own thread; changes
 * that arrive during a push start the next batch.
 */
public final class PushScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PushScheduler.class);

    private final AdsService ads;
    private final XdsMetrics metrics;
    private final Duration debounce;
    private final Duration maxDelay;
    private final ScheduledExecutorService executor;
    private ScheduledFuture<?> pending;
    private Instant firstChange;
    private Instant lastChange;
    private int changes;

    /**
     * Creates the scheduler.
     *
     * @param ads the service whose proxies are pushed
     * @param metrics where push times go
     * @param debounce the quiet period before a push; zero pushes on every change
     */
    public PushScheduler(AdsService ads, XdsMetrics metrics, Duration debounce) {
        this.ads = Objects.requireNonNull(ads, "ads");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.debounce = Objects.requireNonNull(debounce, "debounce");
        if (debounce.isNegative()) {
            throw new IllegalArgumentException("debounce must not be negative: " + debounce);
        }
        this.maxDelay = debounce.multipliedBy(2);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xds-push");
            t.setDaemon(true);
            return t;
        });
    }

    /** Notes a change of the mesh state; a push follows after the debounce period. */
    public synchronized void changed(String reason) {
        if (executor.isShutdown()) {
            return;
        }
        Instant now = Instant.now();
        if (firstChange == null) {
            firstChange = now;
        }
        lastChange = now;
        changes++;
        LOG.debug("change noted [{}]", reason);
        if (pending == null) {
            pending = executor.schedule(this::fire, debounce.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void fire() {
        Instant first;
        int batch;
        synchronized (this) {
            Instant now = Instant.now();
            Duration quiet = Duration.between(lastChange, now);
            if (quiet.compareTo(debounce) < 0 && Duration.between(firstChange, now).compareTo(maxDelay) < 0) {
                pending = executor.schedule(this::fire, debounce.minus(quiet).toNanos(), TimeUnit.NANOSECONDS);
                return;
            }
            first = firstChange;
            batch = changes;
            firstChange = null;
            lastChange = null;
            changes = 0;
            pending = null;
        }
        long start = System.nanoTime();
        try {
            int proxies = ads.push(v -> true);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            metrics.pushRound(took, Duration.between(first, Instant.now()));
            LOG.debug("push done [changes={} proxies={} took={}ms]", batch, proxies, took.toMillis());
        } catch (RuntimeException e) {
            LOG.error("push failed [changes={}]", batch, e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
