package io.isthmus.e2e.demo;

import java.time.Duration;

/**
 * What the demo app is told to do wrong.
 *
 * @param failWith HTTP status to answer with instead of 200; 0 = answer normally
 * @param delay    how long to wait before answering; zero = none
 */
public record Faults(int failWith, Duration delay) {
    /** Healthy behaviour. */
    public static final Faults NONE = new Faults(0, Duration.ZERO);

    public Faults {
        if (failWith != 0 && (failWith < 200 || failWith > 599)) {
            throw new IllegalArgumentException("failWith: " + failWith + " is not 0 or an HTTP status 200..599");
        }
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay: must be zero or positive");
        }
    }
}
