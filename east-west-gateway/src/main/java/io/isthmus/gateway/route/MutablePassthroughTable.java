package io.isthmus.gateway.route;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link PassthroughTable} replaced by whole snapshots (as xDS state-of-the-world updates arrive)
 * or changed one cluster at a time. Writers are serialised; readers see a consistent immutable map
 * through a volatile field.
 */
public final class MutablePassthroughTable implements PassthroughTable {

    private volatile Map<String, List<GatewayEndpoint>> clusters = Map.of();

    @Override
    public Optional<List<GatewayEndpoint>> endpoints(String clusterName) {
        return Optional.ofNullable(clusters.get(clusterName));
    }

    /** The cluster names currently known. */
    public Set<String> clusterNames() {
        return clusters.keySet();
    }

    /** Everything, as one immutable map. */
    public Map<String, List<GatewayEndpoint>> snapshot() {
        return clusters;
    }

    /** Replaces the whole table. */
    public synchronized void replaceAll(Map<String, List<GatewayEndpoint>> next) {
        Map<String, List<GatewayEndpoint>> copy = new HashMap<>();
        next.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "cluster name"), List.copyOf(v)));
        clusters = Map.copyOf(copy);
    }

    /** Sets one cluster's endpoints (an empty list keeps the cluster known with no endpoints). */
    public synchronized void put(String clusterName, List<GatewayEndpoint> endpoints) {
        Map<String, List<GatewayEndpoint>> copy = new HashMap<>(clusters);
        copy.put(Objects.requireNonNull(clusterName, "clusterName"), List.copyOf(endpoints));
        clusters = Map.copyOf(copy);
    }

    /** Forgets a cluster. */
    public synchronized void remove(String clusterName) {
        Map<String, List<GatewayEndpoint>> copy = new HashMap<>(clusters);
        copy.remove(clusterName);
        clusters = Map.copyOf(copy);
    }
}
