package io.isthmus.gateway.lb;

import io.isthmus.gateway.route.GatewayEndpoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Orders a cluster's endpoints into the sequence a connection tries them in: available endpoints by
 * priority (nearest first), rotated round robin within each priority with the start weighted by each
 * endpoint's weight; ejected endpoints last, so that when everything is ejected the gateway still tries
 * (Envoy's panic mode) instead of refusing. Safe for concurrent use.
 */
public final class EndpointSelector {

    private final OutlierTracker outliers;
    private final ConcurrentHashMap<String, AtomicInteger> cursors = new ConcurrentHashMap<>();

    public EndpointSelector(OutlierTracker outliers) {
        this.outliers = Objects.requireNonNull(outliers, "outliers");
    }

    /** The outlier tracker connect results are reported to. */
    public OutlierTracker outliers() {
        return outliers;
    }

    /**
     * The endpoints of {@code cluster} in the order to try them, at most {@code maxAttempts}.
     *
     * @param cluster the cluster name, keying the round-robin position
     * @param endpoints the cluster's endpoints, not empty
     */
    public List<GatewayEndpoint> attemptOrder(String cluster, List<GatewayEndpoint> endpoints, int maxAttempts) {
        TreeMap<Integer, List<GatewayEndpoint>> available = new TreeMap<>();
        List<GatewayEndpoint> ejected = new ArrayList<>();
        for (GatewayEndpoint e : endpoints) {
            if (outliers.ejected(e.address())) {
                ejected.add(e);
            } else {
                available.computeIfAbsent(e.priority(), p -> new ArrayList<>()).add(e);
            }
        }
        int tick = cursors.computeIfAbsent(cluster, c -> new AtomicInteger()).getAndIncrement() & Integer.MAX_VALUE;
        List<GatewayEndpoint> order = new ArrayList<>(endpoints.size());
        for (List<GatewayEndpoint> group : available.values()) {
            order.addAll(rotate(group, tick));
        }
        ejected.sort(Comparator.comparingInt(GatewayEndpoint::priority));
        order.addAll(rotate(ejected, tick));
        return order.size() > maxAttempts ? List.copyOf(order.subList(0, maxAttempts)) : order;
    }

    /** Rotates the group so the weighted round-robin pick for {@code tick} comes first. */
    private static List<GatewayEndpoint> rotate(List<GatewayEndpoint> group, int tick) {
        if (group.size() <= 1) {
            return group;
        }
        int weight = 0;
        for (GatewayEndpoint e : group) {
            weight += e.weight();
        }
        int slot = tick % weight;
        int start = 0;
        for (int i = 0; i < group.size(); i++) {
            slot -= group.get(i).weight();
            if (slot < 0) {
                start = i;
                break;
            }
        }
        List<GatewayEndpoint> out = new ArrayList<>(group.size());
        for (int i = 0; i < group.size(); i++) {
            out.add(group.get((start + i) % group.size()));
        }
        return out;
    }
}
