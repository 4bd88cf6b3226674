package io.isthmus.sidecar.lb;

import static io.isthmus.sidecar.lb.HashTestSupport.counts;
import static io.isthmus.sidecar.lb.HashTestSupport.ep;
import static io.isthmus.sidecar.lb.HashTestSupport.flat;
import static io.isthmus.sidecar.lb.HashTestSupport.hosts;
import static io.isthmus.sidecar.lb.HashTestSupport.keys;
import static io.isthmus.sidecar.lb.HashTestSupport.moved;
import static io.isthmus.sidecar.lb.HashTestSupport.ports;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.endpoint.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The hash ring: Envoy's points, shares by weight, and how few keys move when the hosts change. */
class RingHashTableTest {

    private static HashTables ring(List<Endpoint> endpoints, long minimum) {
        return HashTables.build(flat(endpoints), new HashLbConfig.RingHash(minimum, HashLbConfig.RingHash.LIMIT), null);
    }

    private static Endpoint pick(HashTables t, long hash) {
        return t.walk(0, hash, e -> true);
    }

    @Test
    void theRingHasEnvoysPointsForEnvoysOwnExample() {
        // Envoy's RingHashLoadBalancerTest.Basic: 127.0.0.1:90..95, minimum_ring_size 12
        List<Endpoint> eps = new ArrayList<>();
        for (int port = 90; port <= 95; port++) {
            eps.add(ep("127.0.0.1", port, 0, 1));
        }
        HashTables t = ring(eps, 12);

        assertThat(t.table(0).size()).isEqualTo(12);
        long[][] points = {{94, 833437586790550860L}, {92, 928266305478181108L}, {90, 1033482794131418490L},
                {95, 3551244743356806947L}, {93, 3851675632748031481L}, {91, 5583722120771150861L},
                {91, 6311230543546372928L}, {93, 7700377290971790572L}, {95, Long.parseUnsignedLong("13144177310400110813")},
                {92, Long.parseUnsignedLong("13444792449719432967")}, {94, Long.parseUnsignedLong("15516499411664133160")},
                {90, Long.parseUnsignedLong("16117243373044804889")}};
        for (long[] p : points) {
            assertThat(pick(t, p[1]).address().port()).as("point %s", Long.toUnsignedString(p[1])).isEqualTo(p[0]);
        }
        assertThat(pick(t, 0).address().port()).isEqualTo(94);
        assertThat(pick(t, -1L).address().port()).as("past the last point: the first").isEqualTo(94);
        assertThat(pick(t, 3551244743356806948L).address().port()).isEqualTo(93);
        assertThat(pick(t, Long.parseUnsignedLong("16117243373044804880")).address().port()).isEqualTo(90);
    }

    @Test
    void keysSpreadInProportionToWeights() {
        List<Endpoint> eps = List.of(ep("10.0.0.1", 80, 0, 1), ep("10.0.0.2", 80, 0, 2), ep("10.0.0.3", 80, 0, 3),
                ep("10.0.0.4", 80, 0, 4));
        HashTables t = ring(eps, 4096);
        long[] keys = keys(100_000);

        Map<String, Integer> byHost = new java.util.HashMap<>();
        for (long k : keys) {
            byHost.merge(pick(t, k).address().host(), 1, Integer::sum);
        }

        for (int i = 1; i <= 4; i++) {
            assertThat(byHost.get("10.0.0." + i)).as("host of weight %d", i).isBetween(8_500 * i, 11_500 * i);
        }
    }

    @Test
    void theRingHasAboutTheMinimumSizeAndHonoursTheMaximum() {
        assertThat(ring(hosts(3), 1024).table(0).size()).isEqualTo(1026); // 342 points each
        // the least weighted host's one whole point would need a ring of 1,000: capped at the maximum, 200
        List<Endpoint> skewed = List.of(ep("10.0.0.1", 80, 0, 1), ep("10.0.0.2", 80, 0, 999));
        HashTables capped = HashTables.build(flat(skewed), new HashLbConfig.RingHash(100, 200), null);
        assertThat(capped.table(0).size()).isEqualTo(200);
    }

    @Test
    void theSameHostsGiveTheSameRingWhateverTheirOrder() {
        List<Endpoint> eps = hosts(7);
        long[] keys = keys(20_000);
        HashTables firstTable = ring(eps, 1024);
        int[] first = ports(keys, k -> pick(firstTable, k));
        List<Endpoint> shuffled = new ArrayList<>(eps);
        Collections.shuffle(shuffled, new Random(3));
        HashTables again = ring(shuffled, 1024);

        assertThat(ports(keys, k -> pick(again, k))).isEqualTo(first);
    }

    @Test
    void anUnusableHostHandsOnlyItsOwnKeysToTheOthers() {
        List<Endpoint> eps = hosts(10);
        HashTables t = ring(eps, 1024);
        long[] keys = keys(50_000);
        int[] before = ports(keys, k -> pick(t, k));
        Endpoint gone = eps.get(4);

        int[] after = ports(keys, k -> t.walk(0, k, e -> e != gone));

        for (int i = 0; i < keys.length; i++) {
            if (before[i] != gone.address().port()) {
                assertThat(after[i]).as("a key of a usable host stays").isEqualTo(before[i]);
            }
        }
        assertThat(moved(before, after)).isBetween(0.07, 0.13);
        assertThat(counts(after)).doesNotContainKey(gone.address().port()).hasSize(9);
    }

    /**
     * Removing a host from the assignment rebuilds the ring. Its keys go to the points that follow them; and since
     * Envoy's ring keeps its size near {@code minimum_ring_size}, each of the other hosts gains points (n/(n-1) as
     * many), which take a further share of about 1/n from all hosts. Nothing else moves.
     */
    @Test
    void removingOneOfNHostsMovesItsKeysAndAboutOneNthMore() {
        List<Endpoint> eps = hosts(10);
        long[] keys = keys(50_000);
        HashTables beforeTable = ring(eps, 1024);
        int[] before = ports(keys, k -> pick(beforeTable, k));
        List<Endpoint> nine = new ArrayList<>(eps);
        Endpoint gone = nine.remove(4);
        HashTables rebuilt = ring(nine, 1024);

        int[] after = ports(keys, k -> pick(rebuilt, k));

        int ofGone = 0;
        for (int i = 0; i < keys.length; i++) {
            if (before[i] == gone.address().port()) {
                ofGone++;
            }
        }
        assertThat(ofGone / (double) keys.length).isBetween(0.07, 0.13);
        assertThat(moved(before, after)).as("the removed host's tenth and the new points' share").isBetween(0.1, 0.22);
        HashTables same = ring(eps, 1024);
        assertThat(moved(before, ports(keys, k -> pick(same, k)))).isZero();
    }

    @Test
    void aRingIsBuiltOncePerChangeAndReusedWhileTheHostsStayTheSame() {
        List<Endpoint> eps = hosts(4);
        HashTables first = ring(eps, 1024);
        List<Endpoint> sameAddresses = hosts(4); // new Endpoint objects, as every EDS update makes them
        HashTables second = HashTables.build(flat(sameAddresses), first.config(), first);

        assertThat(second.table(0)).isSameAs(first.table(0));
        assertThat(pick(second, 42).address()).isEqualTo(pick(first, 42).address());
        assertThat(Set.of(sameAddresses.toArray())).contains(pick(second, 42));
        HashTables third = HashTables.build(flat(hosts(5)), first.config(), second);
        assertThat(third.table(0)).isNotSameAs(first.table(0));
    }
}
