package io.isthmus.sidecar.lb;

import static io.isthmus.sidecar.lb.HashTestSupport.counts;
import static io.isthmus.sidecar.lb.HashTestSupport.ep;
import static io.isthmus.sidecar.lb.HashTestSupport.flat;
import static io.isthmus.sidecar.lb.HashTestSupport.hosts;
import static io.isthmus.sidecar.lb.HashTestSupport.keys;
import static io.isthmus.sidecar.lb.HashTestSupport.moved;
import static io.isthmus.sidecar.lb.HashTestSupport.ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.sidecar.endpoint.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Maglev table: Envoy's tables, shares by weight, stability, and the bounded disruption of a host change. */
class MaglevTableTest {

    private static HashTables maglev(List<Endpoint> endpoints, int size) {
        return HashTables.build(flat(endpoints), new HashLbConfig.Maglev(size), null);
    }

    private static Endpoint pick(HashTables t, long hash) {
        return t.walk(0, hash, e -> true);
    }

    private static List<Endpoint> envoyHosts(int... weights) {
        List<Endpoint> eps = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            eps.add(ep("127.0.0.1", 90 + i, 0, weights[i]));
        }
        return eps;
    }

    @Test
    void theTableIsEnvoysForEnvoysOwnExamples() {
        // Envoy's MaglevLoadBalancerTest.Basic and .Weighted: entry i names host 127.0.0.1:(90 + expected[i])
        HashTables basic = maglev(envoyHosts(1, 1, 1, 1, 1, 1), 7);
        int[] expected = {2, 4, 0, 1, 5, 0, 3};
        for (int i = 0; i < 3 * expected.length; i++) {
            assertThat(pick(basic, i).address().port()).as("hash %d", i).isEqualTo(90 + expected[i % expected.length]);
        }
        HashTables weighted = maglev(envoyHosts(1, 2), 17);
        int[] expectedWeighted = {1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1};
        for (int i = 0; i < expectedWeighted.length; i++) {
            assertThat(pick(weighted, i).address().port()).as("hash %d", i).isEqualTo(90 + expectedWeighted[i]);
        }
    }

    @Test
    void entriesAndKeysFollowTheWeights() {
        List<Endpoint> eps = List.of(ep("10.0.0.1", 80, 0, 1), ep("10.0.0.2", 80, 0, 2), ep("10.0.0.3", 80, 0, 3),
                ep("10.0.0.4", 80, 0, 4));
        HashTables t = maglev(eps, HashLbConfig.Maglev.DEFAULT_TABLE_SIZE);
        long[] keys = keys(100_000);

        Map<String, Integer> byHost = new java.util.HashMap<>();
        for (long k : keys) {
            byHost.merge(pick(t, k).address().host(), 1, Integer::sum);
        }

        for (int i = 1; i <= 4; i++) {
            assertThat(byHost.get("10.0.0." + i)).as("host of weight %d", i).isBetween(9_300 * i, 10_700 * i);
        }
    }

    @Test
    void theSameHostsGiveTheSameTableWhateverTheirOrder() {
        List<Endpoint> eps = hosts(7);
        long[] keys = keys(20_000);
        HashTables firstTable = maglev(eps, 65_537);
        int[] first = ports(keys, k -> pick(firstTable, k));
        List<Endpoint> shuffled = new ArrayList<>(eps);
        Collections.shuffle(shuffled, new Random(5));
        HashTables again = maglev(shuffled, 65_537);

        assertThat(ports(keys, k -> pick(again, k))).isEqualTo(first);
    }

    @Test
    void removingOneOfNHostsMovesItsKeysAndFewOthers() {
        List<Endpoint> eps = hosts(10);
        long[] keys = keys(50_000);
        HashTables beforeTable = maglev(eps, 65_537);
        int[] before = ports(keys, k -> pick(beforeTable, k));
        List<Endpoint> nine = new ArrayList<>(eps);
        Endpoint gone = nine.remove(4);

        HashTables afterTable = maglev(nine, 65_537);
        int[] after = ports(keys, k -> pick(afterTable, k));

        for (int i = 0; i < keys.length; i++) {
            if (before[i] == gone.address().port()) {
                assertThat(after[i]).isNotEqualTo(gone.address().port());
            }
        }
        // its tenth, plus the entries refilled differently: Maglev's disruption stays small, not a reshuffle
        assertThat(moved(before, after)).isBetween(0.09, 0.2);
    }

    @Test
    void anUnusableHostHandsOnlyItsOwnKeysToTheOthers() {
        List<Endpoint> eps = hosts(10);
        HashTables t = maglev(eps, 65_537);
        long[] keys = keys(50_000);
        int[] before = ports(keys, k -> pick(t, k));
        Endpoint gone = eps.get(2);

        int[] after = ports(keys, k -> t.walk(0, k, e -> e != gone));

        for (int i = 0; i < keys.length; i++) {
            if (before[i] != gone.address().port()) {
                assertThat(after[i]).isEqualTo(before[i]);
            }
        }
        Map<Integer, Integer> spread = counts(after);
        assertThat(spread).doesNotContainKey(gone.address().port()).hasSize(9);
        assertThat(spread.values()).allMatch(n -> n > 4_500 && n < 6_700);
    }

    @Test
    void tableSizesArePrimesOfAtMostEnvoysLimit() {
        assertThat(HashLbConfig.Maglev.isPrime(65_537)).isTrue();
        assertThat(HashLbConfig.Maglev.isPrime(5_000_011)).isTrue();
        assertThat(HashLbConfig.Maglev.isPrime(65_536)).isFalse();
        assertThat(HashLbConfig.Maglev.isPrime(1)).isFalse();
        assertThatThrownBy(() -> new HashLbConfig.Maglev(8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HashLbConfig.Maglev(5_000_101)).isInstanceOf(IllegalArgumentException.class);
    }
}
