package io.isthmus.sidecar.xds;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the xDS client.
 *
 * @param initialBackoff first reconnect delay ceiling, default 250 ms
 * @param maxBackoff     largest reconnect delay ceiling, default 15 s
 * @param warmingTimeout how long listeners wait for the endpoints of the clusters before they are
 *                       applied anyway, default 5 s (Envoy's {@code initial_fetch_timeout} role)
 */
public record XdsClientOptions(Duration initialBackoff, Duration maxBackoff, Duration warmingTimeout) {

    /** The defaults above. */
    public static final XdsClientOptions DEFAULTS =
            new XdsClientOptions(Duration.ofMillis(250), Duration.ofSeconds(15), Duration.ofSeconds(5));

    public XdsClientOptions {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(warmingTimeout, "warmingTimeout");
        if (initialBackoff.isNegative() || initialBackoff.isZero()) {
            throw new IllegalArgumentException("initialBackoff: must be positive");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff: smaller than initialBackoff");
        }
        if (warmingTimeout.isNegative()) {
            throw new IllegalArgumentException("warmingTimeout: negative");
        }
    }
}
