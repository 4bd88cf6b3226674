package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.DnsLookupFamily;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import java.time.Duration;
import java.util.Objects;

/**
 * How a STRICT_DNS or LOGICAL_DNS cluster finds its endpoints.
 *
 * @param targets the configured endpoints, whose addresses are host names or IP literals
 * @param refreshRate time between resolutions ({@code dns_refresh_rate}); Envoy's default 5 s
 * @param failureRefreshRate time before the next resolution after a failed one
 *     ({@code dns_failure_refresh_rate.base_interval}); the refresh rate by default
 * @param family which addresses of an answer are used ({@code dns_lookup_family})
 */
public record DnsConfig(LoadAssignment targets, Duration refreshRate, Duration failureRefreshRate,
                        DnsLookupFamily family) {

    /** Envoy's default {@code dns_refresh_rate}. */
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(5);

    public DnsConfig {
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(refreshRate, "refreshRate");
        Objects.requireNonNull(failureRefreshRate, "failureRefreshRate");
        Objects.requireNonNull(family, "family");
        if (refreshRate.toMillis() < 1 || failureRefreshRate.toMillis() < 1) {
            throw new IllegalArgumentException("refresh rates must be at least 1 ms");
        }
    }
}
