package io.isthmus.sidecar.endpoint;

import java.util.Objects;

/**
 * Envoy's locality of an endpoint group.
 *
 * @param region region, may be empty
 * @param zone zone, may be empty
 * @param subZone sub-zone, may be empty
 */
public record LocalityKey(String region, String zone, String subZone) {
    /** The locality with nothing set. */
    public static final LocalityKey UNSPECIFIED = new LocalityKey("", "", "");

    public LocalityKey {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subZone, "subZone");
    }

    @Override
    public String toString() {
        return region + "/" + zone + "/" + subZone;
    }
}
