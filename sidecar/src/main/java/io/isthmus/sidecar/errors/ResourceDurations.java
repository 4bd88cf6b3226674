package io.isthmus.sidecar.errors;

import java.time.Duration;

/**
 * The checked reading of a protobuf {@code Duration} in an xDS resource: a valid protobuf duration (nanos in range
 * and of the seconds' sign), not negative, and at most {@link #MAX_DAYS} days, so that the proxy's timers and clocks
 * can use it in milliseconds or nanoseconds without overflow. Envoy's validation refuses negative durations and
 * out-of-range ones the same way.
 */
public final class ResourceDurations {

    /** The longest duration a resource may give (about 100 years). */
    public static final long MAX_DAYS = 36_500;
    private static final long MAX_SECONDS = MAX_DAYS * 86_400;

    private ResourceDurations() {
    }

    /**
     * Reads a duration of a resource.
     *
     * @throws InvalidResourceException naming the resource and field when the duration is negative, malformed or too long
     */
    public static Duration of(com.google.protobuf.Duration d, String typeUrl, String resource, String field)
            throws InvalidResourceException {
        try {
            return of(d, field);
        } catch (UnsupportedFieldException e) {
            throw new InvalidResourceException(typeUrl, resource, field, e.getMessage());
        }
    }

    /**
     * Reads a duration of a configuration fragment (a filter's config, a TLS context).
     *
     * @throws UnsupportedFieldException naming the field when the duration is negative, malformed or too long
     */
    public static Duration of(com.google.protobuf.Duration d, String field) throws UnsupportedFieldException {
        long seconds = d.getSeconds();
        int nanos = d.getNanos();
        if (nanos <= -1_000_000_000 || nanos >= 1_000_000_000 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
            throw new UnsupportedFieldException(field, "not a valid duration (nanos " + nanos + " with seconds " + seconds + ")");
        }
        if (seconds < 0 || nanos < 0) {
            throw new UnsupportedFieldException(field, "must not be negative");
        }
        if (seconds > MAX_SECONDS) {
            throw new UnsupportedFieldException(field, "too long (at most " + MAX_DAYS + " days)");
        }
        return Duration.ofSeconds(seconds, nanos);
    }
}
