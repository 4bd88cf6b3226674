package io.isthmus.sidecar.xds;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter for reconnecting to the control plane: the ceiling doubles from
 * {@code initial} up to {@code max}; each delay is drawn uniformly from [ceiling/2, ceiling], so
 * proxies that lost the same control plane do not come back in step. Not thread-safe.
 */
final class Backoff {
    private final Duration initial;
    private final Duration max;
    private final RandomGenerator random;
    private long ceilingMillis;

    Backoff(Duration initial, Duration max, RandomGenerator random) {
        this.initial = Objects.requireNonNull(initial, "initial");
        this.max = Objects.requireNonNull(max, "max");
        this.random = Objects.requireNonNull(random, "random");
        reset();
    }

    /** The next delay. */
    Duration next() {
        long c = ceilingMillis;
        ceilingMillis = Math.min(max.toMillis(), c * 2);
        long low = Math.max(1, c / 2);
        return Duration.ofMillis(low + random.nextLong(c - low + 1));
    }

    /** Back to the initial delay (after a successful response). */
    void reset() {
        ceilingMillis = Math.max(1, initial.toMillis());
    }
}
