package io.isthmus.sidecar.endpoint;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A cluster's endpoints grouped by priority and locality: the runtime form of a
 * {@code ClusterLoadAssignment}. Immutable; replaced as a whole on every EDS update.
 *
 * @param clusterName the cluster it belongs to
 * @param priorities index = priority; each a list of locality groups (possibly empty)
 * @param overprovisioningFactor Envoy's factor in percent; default 140
 */
public record LoadAssignment(String clusterName, List<List<LocalityGroup>> priorities, int overprovisioningFactor) {

    public LoadAssignment {
        Objects.requireNonNull(clusterName, "clusterName");
        List<List<LocalityGroup>> copy = new ArrayList<>();
        for (List<LocalityGroup> p : priorities) {
            copy.add(List.copyOf(p));
        }
        priorities = List.copyOf(copy);
        if (overprovisioningFactor < 1) {
            throw new IllegalArgumentException("overprovisioningFactor must be >= 1");
        }
    }

    /** An assignment with no endpoints. */
    public static LoadAssignment empty(String clusterName) {
        return new LoadAssignment(clusterName, List.of(), 140);
    }

    /** Every endpoint, all priorities. */
    public List<Endpoint> endpoints() {
        List<Endpoint> all = new ArrayList<>();
        for (List<LocalityGroup> p : priorities) {
            for (LocalityGroup g : p) {
                all.addAll(g.endpoints());
            }
        }
        return all;
    }

    /**
     * The endpoints of one locality at one priority.
     *
     * @param locality where they are
     * @param weight locality weight, 0 when none was given
     * @param endpoints the endpoints
     */
    public record LocalityGroup(LocalityKey locality, int weight, List<Endpoint> endpoints) {
        public LocalityGroup {
            Objects.requireNonNull(locality, "locality");
            endpoints = List.copyOf(endpoints);
            if (weight < 0) {
                throw new IllegalArgumentException("weight must be >= 0");
            }
        }
    }
}
