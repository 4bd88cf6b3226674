package io.isthmus.sidecar.lb;

import static io.isthmus.sidecar.lb.HashTestSupport.Z1;
import static io.isthmus.sidecar.lb.HashTestSupport.Z2;
import static io.isthmus.sidecar.lb.HashTestSupport.counts;
import static io.isthmus.sidecar.lb.HashTestSupport.ep;
import static io.isthmus.sidecar.lb.HashTestSupport.keys;
import static io.isthmus.sidecar.lb.HashTestSupport.ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.LoadAssignment.LocalityGroup;
import io.isthmus.sidecar.endpoint.OutlierConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Picking by hash with priorities, health and retries: the hash chooses the priority and the entry, an unusable
 * endpoint is passed over for the next one of the table, and panic routing still follows the hash.
 */
class ConsistentHashPickTest {

    private final PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.RING_HASH, new SplittableRandom(1));
    private final List<Endpoint> local = List.of(ep("10.0.0.1", 80, 0, 1), ep("10.0.0.2", 80, 0, 1),
            ep("10.0.0.3", 80, 0, 1));
    private final Endpoint remote = ep("10.9.0.1", 15443, 1, 3);
    private final LoadAssignment twoPriorities = new LoadAssignment("c", List.of(
            List.of(new LocalityGroup(Z1, 0, local)), List.of(new LocalityGroup(Z2, 0, List.of(remote)))), 140);

    private HashTables tables(LoadAssignment a, HashLbConfig config) {
        return HashTables.build(a, config, null);
    }

    @Test
    void aHealthyFirstPriorityTakesEveryKeyAndEachKeyKeepsItsHost() {
        for (HashLbConfig config : List.of(HashLbConfig.RingHash.DEFAULTS, HashLbConfig.Maglev.DEFAULTS)) {
            HashTables t = tables(twoPriorities, config);
            long[] keys = keys(3_000);

            int[] first = ports(keys, k -> lb.choose(t, k, Set.of(), 0));
            int[] again = ports(keys, k -> lb.choose(t, k, Set.of(), 0));

            assertThat(again).isEqualTo(first);
            assertThat(counts(first)).as("%s", config).containsOnlyKeys(80).hasEntrySatisfying(80, n -> assertThat(n).isEqualTo(3_000));
            Map<String, Integer> byHost = new java.util.HashMap<>();
            for (long k : keys) {
                byHost.merge(lb.choose(t, k, Set.of(), 0).address().host(), 1, Integer::sum);
            }
            assertThat(byHost.values()).as("%s", config).allMatch(n -> n > 800 && n < 1_200);
        }
    }

    @Test
    void anEjectedEndpointsKeysMoveToTheOthersAndNoOtherKeyMoves() {
        HashTables t = tables(new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, local))), 140),
                HashLbConfig.Maglev.DEFAULTS);
        long[] keys = keys(3_000);
        Endpoint[] before = new Endpoint[keys.length];
        for (int i = 0; i < keys.length; i++) {
            before[i] = lb.choose(t, keys[i], Set.of(), 0);
        }
        Endpoint dead = local.get(1);
        dead.state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS);

        Map<Endpoint, Integer> heirs = new java.util.HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            Endpoint now = lb.choose(t, keys[i], Set.of(), 0);
            if (before[i] != dead) {
                assertThat(now).isSameAs(before[i]);
            } else {
                heirs.merge(now, 1, Integer::sum);
            }
        }
        assertThat(heirs).as("the dead endpoint's keys, shared by the two others").containsOnlyKeys(local.get(0), local.get(2));
        assertThat(heirs.values()).allMatch(n -> n > 300);
    }

    @Test
    void aRetryExcludingThePreviousHostWalksOnToAnotherAndEveryRetryOfAKeyAgrees() {
        HashTables t = tables(new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, local))), 140),
                HashLbConfig.RingHash.DEFAULTS);
        for (long k : keys(500)) {
            Endpoint first = lb.choose(t, k, Set.of(), 0);
            Endpoint second = lb.choose(t, k, Set.of(first), 0);
            Endpoint third = lb.choose(t, k, Set.of(first, second), 0);

            assertThat(second).isNotSameAs(first).isSameAs(lb.choose(t, k, Set.of(first), 0));
            assertThat(Set.of(first, second, third)).hasSize(3);
        }
    }

    @Test
    void aRetryThatHasTriedEveryLocalEndpointGoesToTheNextPriority() {
        HashTables t = tables(twoPriorities, HashLbConfig.RingHash.DEFAULTS);
        for (long k : keys(200)) {
            assertThat(lb.choose(t, k, new HashSet<>(local), 0)).isSameAs(remote);
        }
    }

    @Test
    void aDeadFirstPriorityHandsEveryKeyToTheNext() {
        local.forEach(e -> e.state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS));
        HashTables t = tables(twoPriorities, HashLbConfig.RingHash.DEFAULTS);

        assertThat(counts(ports(keys(1_000), k -> lb.choose(t, k, Set.of(), 0)))).containsOnlyKeys(15443);
    }

    @Test
    void aPartlyHealthyFirstPriorityKeepsEachKeyInOnePriority() {
        List<Endpoint> ten = new java.util.ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            ten.add(ep("10.0.0." + i, 80, 0, 1));
        }
        for (int i = 0; i < 5; i++) {
            ten.get(i).state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS);
        }
        LoadAssignment a = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, ten)),
                List.of(new LocalityGroup(Z2, 0, List.of(remote)))), 140);
        HashTables t = tables(a, HashLbConfig.Maglev.DEFAULTS);
        long[] keys = keys(10_000);

        int[] first = ports(keys, k -> lb.choose(t, k, Set.of(), 0));

        // 5 of 10 x 1.4 = 70 % stay, 30 % spill: hash mod 100 decides which keys, so a key does not flap between them
        assertThat(counts(first).get(15443)).isBetween(2_700, 3_300);
        for (int i = 0; i < keys.length; i++) {
            assertThat(first[i] == 15443).isEqualTo(Long.remainderUnsigned(keys[i], 100) >= 70);
        }
        assertThat(ports(keys, k -> lb.choose(t, k, Set.of(), 0))).isEqualTo(first);
    }

    @Test
    void withNothingAvailablePanicRoutingStillFollowsTheHash() {
        local.forEach(e -> e.state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS));
        remote.state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS);
        HashTables t = tables(twoPriorities, HashLbConfig.Maglev.DEFAULTS);
        long[] keys = keys(1_000);

        int[] first = ports(keys, k -> lb.choose(t, k, Set.of(), 0));

        assertThat(ports(keys, k -> lb.choose(t, k, Set.of(), 0))).isEqualTo(first);
        for (long k : keys) {
            Endpoint e = lb.choose(t, k, Set.of(), 0);
            assertThat(lb.choose(t, k, Set.of(e), 0)).as("panic still avoids a host already tried").isNotSameAs(e);
        }
    }

    @Test
    void localityWeightsShareThePriorityAsEnvoysLocalityWeightedTables() {
        Endpoint a = ep("10.0.0.1", 80, 0, 1);
        Endpoint b = ep("10.0.0.2", 80, 0, 1);
        Endpoint c = ep("10.0.0.3", 80, 0, 5);
        LoadAssignment weighted = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 1, List.of(a)),
                new LocalityGroup(Z2, 3, List.of(b, c)))), 140);
        HashTables t = tables(weighted, HashLbConfig.Maglev.DEFAULTS);
        Map<String, Integer> byHost = new java.util.HashMap<>();

        for (long k : keys(40_000)) {
            byHost.merge(lb.choose(t, k, Set.of(), 0).address().host(), 1, Integer::sum);
        }

        // z1 a quarter; z2 three quarters, split 1:5 by the endpoints' weights
        assertThat(byHost.get("10.0.0.1")).isBetween(9_300, 10_700);
        assertThat(byHost.get("10.0.0.2")).isBetween(4_500, 5_500);
        assertThat(byHost.get("10.0.0.3")).isBetween(23_500, 26_500);
    }
}
