package io.isthmus.e2e.driver.kind;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Polling waits against real API servers (every 500 ms; the driver has no test dependencies). */
final class Poll {
    private static final Duration INTERVAL = Duration.ofMillis(500);

    private Poll() {
    }

    /**
     * Polls {@code probe} until it yields a value; a probe that throws counts as "not yet".
     * Throws naming {@code what} and the last error after {@code timeout}.
     */
    static <T> T until(String what, Duration timeout, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (true) {
            try {
                Optional<T> v = probe.get();
                if (v.isPresent()) {
                    return v.get();
                }
            } catch (RuntimeException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                        + (last == null ? "" : " (last error: " + last.getMessage() + ")"), last);
            }
            try {
                Thread.sleep(INTERVAL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }
}
