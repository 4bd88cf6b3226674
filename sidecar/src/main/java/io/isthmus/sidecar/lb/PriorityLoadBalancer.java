package io.isthmus.sidecar.lb;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.LoadAssignment.LocalityGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * Picks an endpoint with Envoy's priority semantics. Each priority's health is
 * {@code min(100, overprovisioning × available / total)}; priority 0 takes its health in percent of
 * the load, the next priority the remainder up to its own health, and so on (normalised when the
 * sum is below 100). Within a priority, localities are chosen by weight × their own available share
 * when the assignment gives locality weights, else all available endpoints are pooled. Endpoints
 * that are ejected, unhealthy or excluded by the retry's previous-hosts predicate count as
 * unavailable. When nothing is available anywhere, the pick falls back to all endpoints (Envoy's
 * panic mode). Consistent-hash clusters pick by the request's hash from their {@link HashTables}
 * instead. Safe for concurrent use.
 */
public final class PriorityLoadBalancer {

    private final LbPolicy policy;
    private final RandomGenerator random;
    private final AtomicLong roundRobin = new AtomicLong();

    /**
     * @param policy how endpoints are picked within the chosen locality
     * @param random source of randomness (settable for tests)
     */
    public PriorityLoadBalancer(LbPolicy policy, RandomGenerator random) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Chooses an endpoint.
     *
     * @param assignment the cluster's endpoints
     * @param excluded endpoints not to pick (previous attempts), empty for a first attempt
     * @param nowNanos monotonic time, for ejection checks
     * @return the endpoint, or null when the cluster has no endpoint at all
     */
    public Endpoint choose(LoadAssignment assignment, Set<Endpoint> excluded, long nowNanos) {
        List<List<LocalityGroup>> priorities = assignment.priorities();
        int n = priorities.size();
        if (n == 0) {
            return null;
        }
        int[] health = new int[n];
        if (health(assignment, excluded, nowNanos, health) == 0) {
            return panic(assignment.endpoints(), excluded);
        }
        int chosen = priority(health, random.nextInt(100));
        Endpoint picked = fromPriority(priorities.get(chosen), assignment.overprovisioningFactor(), excluded, nowNanos);
        return picked != null ? picked : elsewhere(assignment, chosen, excluded, nowNanos);
    }

    /**
     * Chooses an endpoint of a consistent-hash cluster for a request hash, as Envoy's thread-aware balancers do: the
     * hash also chooses the priority (hash mod 100 against the priorities' loads, so a key keeps its priority while
     * the health does not change), then the endpoint from that priority's table; an endpoint that is ejected,
     * unhealthy or excluded is passed over for the next one of the table. When nothing is available anywhere
     * (panic), the hash picks among all endpoints, preferring those EDS says are healthy and not excluded.
     *
     * @param tables the cluster's tables, with the assignment they were built from
     * @param hash the request's hash (a random number for a request without one)
     * @param excluded endpoints not to pick (previous attempts), empty for a first attempt
     * @param nowNanos monotonic time, for ejection checks
     * @return the endpoint, or null when the cluster has no endpoint at all
     */
    public Endpoint choose(HashTables tables, long hash, Set<Endpoint> excluded, long nowNanos) {
        LoadAssignment assignment = tables.assignment();
        int n = assignment.priorities().size();
        if (n == 0) {
            return null;
        }
        int[] health = new int[n];
        if (health(assignment, excluded, nowNanos, health) == 0) {
            return hashPanic(tables, hash, excluded);
        }
        int chosen = priority(health, (int) Long.remainderUnsigned(hash, 100));
        Predicate<Endpoint> usable = e -> usable(e, excluded, nowNanos);
        Endpoint picked = tables.walk(chosen, hash, usable);
        if (picked == null) {
            // usable endpoints without an entry (a locality without weight, a share too small for the ring)
            picked = fromPriority(assignment.priorities().get(chosen), assignment.overprovisioningFactor(), excluded,
                    nowNanos);
        }
        // nothing usable left there (ejected by another event loop since the health was read): the next priority
        for (int p = 0; p < n && picked == null; p++) {
            if (p != chosen) {
                picked = tables.walk(p, hash, usable);
            }
        }
        return picked != null ? picked : elsewhere(assignment, chosen, excluded, nowNanos);
    }

    /**
     * Fills {@code health} with each priority's {@code min(100, overprovisioning × available / total)}.
     *
     * @return the sum of the priorities' health, 0 when nothing is available
     */
    private static int health(LoadAssignment assignment, Set<Endpoint> excluded, long nowNanos, int[] health) {
        List<List<LocalityGroup>> priorities = assignment.priorities();
        int total = 0;
        for (int p = 0; p < health.length; p++) {
            int all = 0;
            int up = 0;
            List<LocalityGroup> groups = priorities.get(p);
            for (int gi = 0, gn = groups.size(); gi < gn; gi++) {
                List<Endpoint> eps = groups.get(gi).endpoints();
                for (int i = 0, en = eps.size(); i < en; i++) {
                    all++;
                    if (usable(eps.get(i), excluded, nowNanos)) {
                        up++;
                    }
                }
            }
            health[p] = all == 0 ? 0 : (int) Math.min(100, (long) assignment.overprovisioningFactor() * up / all);
            total += health[p];
        }
        return total;
    }

    /** The priority a roll in [0, 100) falls in, each priority taking its health of the load (normalised below 100). */
    private static int priority(int[] health, int roll) {
        int total = 0;
        for (int h : health) {
            total += h;
        }
        int normalized = Math.min(100, total);
        int remaining = 100;
        int acc = 0;
        for (int p = 0; p < health.length && remaining > 0; p++) {
            int load = Math.min(remaining, (int) Math.round(health[p] * 100.0 / normalized));
            remaining -= load;
            acc += load;
            if (roll < acc) {
                return p;
            }
        }
        int chosen = 0;
        for (int p = 0; p < health.length; p++) {
            if (health[p] > 0) {
                chosen = p;
            }
        }
        return chosen;
    }

    /**
     * A pick when the chosen priority lost its last usable endpoint after its health was read (another event loop's
     * outlier detection ejected it): the next priority with one takes the request, else panic routing, never "no host".
     */
    private Endpoint elsewhere(LoadAssignment assignment, int chosen, Set<Endpoint> excluded, long nowNanos) {
        List<List<LocalityGroup>> priorities = assignment.priorities();
        for (int p = 0; p < priorities.size(); p++) {
            if (p != chosen) {
                Endpoint picked = fromPriority(priorities.get(p), assignment.overprovisioningFactor(), excluded, nowNanos);
                if (picked != null) {
                    return picked;
                }
            }
        }
        return panic(assignment.endpoints(), excluded);
    }

    /** Panic routing by hash: the first endpoint walking on from the hash that is healthy and not tried, else not tried, else any. */
    private Endpoint hashPanic(HashTables tables, long hash, Set<Endpoint> excluded) {
        int n = tables.assignment().priorities().size();
        List<Predicate<Endpoint>> preferences = List.of(e -> e.healthy() && !excluded.contains(e),
                e -> !excluded.contains(e), e -> true);
        for (Predicate<Endpoint> accept : preferences) {
            for (int p = 0; p < n; p++) {
                Endpoint e = tables.walk(p, hash, accept);
                if (e != null) {
                    return e;
                }
            }
        }
        return panic(tables.assignment().endpoints(), excluded);
    }

    private Endpoint fromPriority(List<LocalityGroup> groups, int factor, Set<Endpoint> excluded, long now) {
        boolean weighted = false;
        for (int i = 0, gn = groups.size(); i < gn && !weighted; i++) {
            weighted = groups.get(i).weight() > 0;
        }
        if (weighted) {
            long[] eff = new long[groups.size()];
            long sum = 0;
            for (int i = 0; i < groups.size(); i++) {
                LocalityGroup g = groups.get(i);
                int all = g.endpoints().size();
                long up = g.endpoints().stream().filter(e -> usable(e, excluded, now)).count();
                double share = all == 0 ? 0 : Math.min(1.0, factor / 100.0 * up / all);
                eff[i] = Math.round(g.weight() * share * 1000);
                sum += eff[i];
            }
            if (sum > 0) {
                long roll = random.nextLong(sum);
                for (int i = 0; i < groups.size(); i++) {
                    if (roll < eff[i]) {
                        Endpoint e = pick(usableIn(List.of(groups.get(i)), excluded, now));
                        if (e != null) {
                            return e;
                        }
                        break; // that locality emptied since its weight was read: any usable endpoint of the priority
                    }
                    roll -= eff[i];
                }
            }
        }
        return pick(usableIn(groups, excluded, now));
    }

    private static List<Endpoint> usableIn(List<LocalityGroup> groups, Set<Endpoint> excluded, long now) {
        if (groups.size() == 1) {
            // the usual case, one locality with every endpoint usable: its own list, not a copy
            List<Endpoint> all = groups.get(0).endpoints();
            boolean allUsable = true;
            for (int i = 0, en = all.size(); i < en && allUsable; i++) {
                allUsable = usable(all.get(i), excluded, now);
            }
            if (allUsable) {
                return all;
            }
        }
        List<Endpoint> up = new ArrayList<>();
        for (LocalityGroup g : groups) {
            for (Endpoint e : g.endpoints()) {
                if (usable(e, excluded, now)) {
                    up.add(e);
                }
            }
        }
        return up;
    }

    private static boolean usable(Endpoint e, Set<Endpoint> excluded, long now) {
        return e.available(now) && !excluded.contains(e);
    }

    private Endpoint panic(List<Endpoint> all, Set<Endpoint> excluded) {
        if (all.isEmpty()) {
            return null;
        }
        List<Endpoint> notTried = all.stream().filter(e -> e.healthy() && !excluded.contains(e)).toList();
        return pick(notTried.isEmpty() ? all : notTried);
    }

    private Endpoint pick(List<Endpoint> candidates) {
        if (candidates.isEmpty()) {
            return null;
        }
        if (candidates.size() == 1) {
            return candidates.get(0);
        }
        return switch (policy) {
            // a hash cluster comes here only for endpoints its tables do not hold: a weighted random pick, as Envoy's
            case RANDOM, RING_HASH, MAGLEV -> weightedRandom(candidates);
            case LEAST_REQUEST -> {
                Endpoint a = candidates.get(random.nextInt(candidates.size()));
                Endpoint b = candidates.get(random.nextInt(candidates.size()));
                yield a.state().activeRequests() <= b.state().activeRequests() ? a : b;
            }
            case ROUND_ROBIN -> {
                boolean uniform = true;
                for (int i = 1, cn = candidates.size(); i < cn && uniform; i++) {
                    uniform = candidates.get(i).weight() == candidates.get(0).weight();
                }
                if (uniform) {
                    yield candidates.get((int) Math.floorMod(roundRobin.getAndIncrement(), (long) candidates.size()));
                }
                long sum = candidates.stream().mapToLong(Endpoint::weight).sum();
                long slot = Math.floorMod(roundRobin.getAndIncrement(), sum);
                Endpoint hit = candidates.get(candidates.size() - 1);
                for (Endpoint e : candidates) {
                    if (slot < e.weight()) {
                        hit = e;
                        break;
                    }
                    slot -= e.weight();
                }
                yield hit;
            }
        };
    }

    private Endpoint weightedRandom(List<Endpoint> candidates) {
        long sum = candidates.stream().mapToLong(Endpoint::weight).sum();
        long roll = random.nextLong(sum);
        for (Endpoint e : candidates) {
            if (roll < e.weight()) {
                return e;
            }
            roll -= e.weight();
        }
        return candidates.get(candidates.size() - 1);
    }
}
