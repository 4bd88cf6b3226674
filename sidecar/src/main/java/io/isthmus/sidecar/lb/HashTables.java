package io.isthmus.sidecar.lb;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.LoadAssignment.LocalityGroup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The consistent-hash tables of one load assignment of a RING_HASH or MAGLEV cluster, one per priority, over that
 * priority's endpoints. Each endpoint's share is its weight within the priority; when the assignment gives locality
 * weights (as {@link PriorityLoadBalancer} honours them), its locality's share times its weight within the
 * locality, and a locality without weight gets no entry (Envoy's {@code locality_weighted_lb_config}). Built when
 * the assignment changes, never per request; a table whose endpoints, weights and settings are unchanged is taken
 * over from the previous assignment as it is. Immutable and shared by every event loop.
 */
public final class HashTables {

    private final HashLbConfig config;
    private final LoadAssignment assignment;
    private final Level[] levels;

    private HashTables(HashLbConfig config, LoadAssignment assignment, Level[] levels) {
        this.config = config;
        this.assignment = assignment;
        this.levels = levels;
    }

    /**
     * The tables of {@code assignment}.
     *
     * @param previous the tables of the assignment it replaces, whose unchanged tables are reused; null for none
     */
    public static HashTables build(LoadAssignment assignment, HashLbConfig config, HashTables previous) {
        Objects.requireNonNull(assignment, "assignment");
        Objects.requireNonNull(config, "config");
        List<List<LocalityGroup>> priorities = assignment.priorities();
        Level[] levels = new Level[priorities.size()];
        for (int p = 0; p < levels.length; p++) {
            Shape shape = Shape.of(priorities.get(p));
            if (shape.keys.isEmpty()) {
                continue;
            }
            Level old = previous != null && previous.config.equals(config) && p < previous.levels.length
                    ? previous.levels[p] : null;
            if (old != null && old.shape.sameAs(shape)) {
                levels[p] = new Level(shape, old.table, old.present);
                continue;
            }
            HashTable table = config instanceof HashLbConfig.RingHash r ? RingHashTable.build(shape.keys, shape.weights, r)
                    : MaglevTable.build(shape.keys, shape.weights, (HashLbConfig.Maglev) config);
            levels[p] = new Level(shape, table, present(table, shape.hosts.length));
        }
        return new HashTables(config, assignment, levels);
    }

    /** The hosts that have at least one entry (a host of a tiny share may have none). */
    private static int[] present(HashTable table, int hosts) {
        boolean[] seen = new boolean[hosts];
        int count = 0;
        for (int e = 0, n = table.size(); e < n && count < hosts; e++) {
            int h = table.host(e);
            if (!seen[h]) {
                seen[h] = true;
                count++;
            }
        }
        int[] present = new int[count];
        for (int h = 0, k = 0; h < hosts; h++) {
            if (seen[h]) {
                present[k++] = h;
            }
        }
        return present;
    }

    /** The settings the tables were built with. */
    public HashLbConfig config() {
        return config;
    }

    /** The assignment the tables were built from. */
    public LoadAssignment assignment() {
        return assignment;
    }

    /** The table of a priority, for tests; null when it has no endpoint with a share. */
    HashTable table(int priority) {
        return priority < levels.length && levels[priority] != null ? levels[priority].table : null;
    }

    /**
     * The endpoint {@code hash} sticks to at {@code priority}: the host of the entry the hash lands on, or when
     * {@code accept} refuses it the next accepted host walking on through the table (wrapping), so that a key
     * moves only while its own host cannot take it.
     *
     * @return the endpoint, or null when no accepted endpoint of the priority has an entry
     */
    Endpoint walk(int priority, long hash, Predicate<Endpoint> accept) {
        Level level = priority < levels.length ? levels[priority] : null;
        if (level == null) {
            return null;
        }
        HashTable table = level.table;
        int n = table.size();
        int at = table.entry(hash);
        int refused = -1;
        for (int step = 0; step < n; step++) {
            int host = table.host(at);
            if (host != refused) {
                Endpoint e = level.shape.hosts[host];
                if (accept.test(e)) {
                    return e;
                }
                refused = host;
            }
            if (step == 16 && !anyAccepted(level, accept)) {
                return null; // not worth walking a large table to the end
            }
            at = at + 1 == n ? 0 : at + 1;
        }
        return null;
    }

    private static boolean anyAccepted(Level level, Predicate<Endpoint> accept) {
        for (int h : level.present) {
            if (accept.test(level.shape.hosts[h])) {
                return true;
            }
        }
        return false;
    }

    /** One priority: its endpoints, their hash table and the host numbers that have entries in it. */
    private record Level(Shape shape, HashTable table, int[] present) {
    }

    /**
     * What a priority's table is built from: its endpoints sorted by address ({@code ip:port}, Envoy's hash key, so
     * the table does not depend on the order EDS lists them in), their keys and shares.
     */
    private static final class Shape {
        final Endpoint[] hosts;
        final List<String> keys;
        final double[] weights;

        private Shape(Endpoint[] hosts, List<String> keys, double[] weights) {
            this.hosts = hosts;
            this.keys = keys;
            this.weights = weights;
        }

        static Shape of(List<LocalityGroup> groups) {
            boolean localityWeighted = groups.stream().anyMatch(g -> g.weight() > 0);
            long localitySum = groups.stream().mapToLong(LocalityGroup::weight).sum();
            long hostSum = 0;
            for (LocalityGroup g : groups) {
                hostSum += g.endpoints().stream().mapToLong(Endpoint::weight).sum();
            }
            record Share(Endpoint endpoint, String key, double weight) {
            }
            List<Share> shares = new ArrayList<>();
            for (LocalityGroup g : groups) {
                if (localityWeighted && g.weight() == 0) {
                    continue;
                }
                long inLocality = g.endpoints().stream().mapToLong(Endpoint::weight).sum();
                for (Endpoint e : g.endpoints()) {
                    double w = localityWeighted ? e.weight() * ((double) g.weight() / localitySum) / inLocality
                            : e.weight() * 1.0 / hostSum;
                    shares.add(new Share(e, e.address().toString(), w));
                }
            }
            shares.sort(Comparator.comparing(Share::key)); // stable: equal addresses keep their order
            return new Shape(shares.stream().map(Share::endpoint).toArray(Endpoint[]::new),
                    shares.stream().map(Share::key).toList(), shares.stream().mapToDouble(Share::weight).toArray());
        }

        boolean sameAs(Shape other) {
            return keys.equals(other.keys) && Arrays.equals(weights, other.weights);
        }
    }
}
