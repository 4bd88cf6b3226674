package io.isthmus.mesh;

import java.util.Objects;

/**
 * Where a workload or proxy runs, as Envoy's {@code Locality}: read from the node labels
 * {@code topology.kubernetes.io/region}, {@code topology.kubernetes.io/zone} and
 * {@code topology.istio.io/subzone}. Empty strings mean unknown.
 */
public record Locality(String region, String zone, String subZone) {

    /** No locality known. */
    public static final Locality UNKNOWN = new Locality("", "", "");

    public Locality {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(zone, "zone");
        Objects.requireNonNull(subZone, "subZone");
    }

    public static Locality of(String region, String zone) {
        return new Locality(region, zone, "");
    }

    /**
     * The failover priority of an endpoint at this locality as seen from a proxy at {@code from}:
     * 0 same region, zone and subzone; 1 same region and zone; 2 same region; 3 anywhere else.
     * Lower is nearer. Unknown localities never match.
     */
    public int priorityFrom(Locality from) {
        Objects.requireNonNull(from, "from");
        boolean sameRegion = !region.isEmpty() && region.equals(from.region);
        boolean sameZone = sameRegion && !zone.isEmpty() && zone.equals(from.zone);
        boolean sameSubZone = sameZone && subZone.equals(from.subZone);
        if (sameSubZone) {
            return 0;
        }
        if (sameZone) {
            return 1;
        }
        if (sameRegion) {
            return 2;
        }
        return 3;
    }

    /** {@code region/zone/subzone}, Istio's locality string. */
    @Override
    public String toString() {
        return region + "/" + zone + (subZone.isEmpty() ? "" : "/" + subZone);
    }

    /** Parses {@code region/zone/subzone} (trailing parts optional). */
    public static Locality parse(String s) {
        if (s == null || s.isBlank()) {
            return UNKNOWN;
        }
        String[] p = s.split("/", -1);
        return new Locality(p[0], p.length > 1 ? p[1] : "", p.length > 2 ? p[2] : "");
    }
}
