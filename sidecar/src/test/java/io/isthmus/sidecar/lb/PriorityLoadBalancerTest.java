package io.isthmus.sidecar.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.LoadAssignment.LocalityGroup;
import io.isthmus.sidecar.endpoint.LocalityKey;
import io.isthmus.sidecar.endpoint.OutlierConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Envoy's priority load arithmetic, locality weights and exclusions, on fixed randomness. */
class PriorityLoadBalancerTest {

    private static final LocalityKey Z1 = new LocalityKey("r1", "z1", "");
    private static final LocalityKey Z2 = new LocalityKey("r1", "z2", "");
    private static final LocalityKey R2 = new LocalityKey("r2", "z9", "");

    private static Endpoint ep(int port, LocalityKey l, int priority, int weight) {
        return new Endpoint(new EndpointAddress("10.0.0.1", port), l, priority, weight, true, new EndpointState());
    }

    private static Map<Integer, Integer> pick(PriorityLoadBalancer lb, LoadAssignment a, int n, Set<Endpoint> excluded) {
        Map<Integer, Integer> byPort = new HashMap<>();
        for (int i = 0; i < n; i++) {
            byPort.merge(lb.choose(a, excluded, 0).address().port(), 1, Integer::sum);
        }
        return byPort;
    }

    @Test
    void healthyPriorityZeroTakesEverything() {
        Endpoint a = ep(1, Z1, 0, 1);
        Endpoint b = ep(2, Z1, 0, 1);
        Endpoint gw = ep(3, R2, 1, 3);
        LoadAssignment la = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, List.of(a, b))),
                List.of(new LocalityGroup(R2, 0, List.of(gw)))), 140);
        PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.ROUND_ROBIN, new SplittableRandom(1));

        assertThat(pick(lb, la, 1000, Set.of())).containsOnlyKeys(1, 2);
    }

    @Test
    void spillsInProportionToTheUnhealthyShare() {
        Endpoint[] local = new Endpoint[10];
        for (int i = 0; i < 10; i++) {
            local[i] = ep(i + 1, Z1, 0, 1);
        }
        Endpoint gw = ep(100, R2, 1, 1);
        for (int i = 0; i < 5; i++) {
            local[i].state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS);
        }
        LoadAssignment la = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, List.of(local))),
                List.of(new LocalityGroup(R2, 0, List.of(gw)))), 140);
        PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.ROUND_ROBIN, new SplittableRandom(7));

        Map<Integer, Integer> seen = pick(lb, la, 10_000, Set.of());

        // 5 of 10 healthy x 1.4 = 70 % stays at priority 0, 30 % spills to priority 1
        assertThat(seen.get(100)).isBetween(2_700, 3_300);
        assertThat(seen.keySet()).doesNotContain(1, 2, 3, 4, 5);
    }

    @Test
    void excludedHostsMoveARetryToTheNextPriority() {
        Endpoint a = ep(1, Z1, 0, 1);
        Endpoint b = ep(2, Z1, 0, 1);
        Endpoint gw = ep(3, R2, 1, 1);
        LoadAssignment la = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, List.of(a, b))),
                List.of(new LocalityGroup(R2, 0, List.of(gw)))), 140);
        PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.LEAST_REQUEST, new SplittableRandom(3));

        assertThat(pick(lb, la, 100, Set.of(a, b))).containsOnlyKeys(3);
    }

    @Test
    void localityWeightsSplitAPriority() {
        Endpoint a = ep(1, Z1, 0, 1);
        Endpoint b = ep(2, Z2, 0, 1);
        LoadAssignment la = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 3, List.of(a)),
                new LocalityGroup(Z2, 1, List.of(b)))), 140);
        PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.ROUND_ROBIN, new SplittableRandom(5));

        Map<Integer, Integer> seen = pick(lb, la, 8_000, Set.of());

        assertThat(seen.get(1)).isBetween(5_600, 6_400);
    }

    @Test
    void nothingAvailableFallsBackToAllEndpoints() {
        Endpoint a = ep(1, Z1, 0, 1);
        a.state().ejectForTest(OutlierConfig.ENVOY_DEFAULTS);
        LoadAssignment la = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 0, List.of(a)))), 140);
        PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.ROUND_ROBIN, new SplittableRandom(5));

        assertThat(lb.choose(la, Set.of(), 0)).isEqualTo(a);
    }

    /**
     * An endpoint that stops being usable between the priorities' health and the pick, as when another event loop's
     * outlier detection ejects it in between: the request goes to the next priority that has one, not "no healthy
     * upstream". The excluded set below answers "usable" for the local endpoint the first time it is asked (the health
     * read) and "not usable" after (the pick).
     */
    @Test
    void anEndpointLostBetweenHealthAndPickFallsToTheNextPriority() {
        Endpoint local = ep(1, Z1, 0, 1);
        Endpoint remote = ep(2, R2, 1, 1);
        LoadAssignment a = new LoadAssignment("c", List.of(List.of(new LocalityGroup(Z1, 1, List.of(local))),
                List.of(new LocalityGroup(R2, 1, List.of(remote)))), 140);
        for (int i = 0; i < 50; i++) {
            Set<Endpoint> goneAfterFirstLook = new java.util.AbstractSet<>() {
                private int looks;

                @Override
                public boolean contains(Object o) {
                    return o == local && looks++ > 0;
                }

                @Override
                public java.util.Iterator<Endpoint> iterator() {
                    return java.util.Collections.emptyIterator();
                }

                @Override
                public int size() {
                    return 0;
                }
            };
            PriorityLoadBalancer lb = new PriorityLoadBalancer(LbPolicy.ROUND_ROBIN, new SplittableRandom(i));
            assertThat(lb.choose(a, goneAfterFirstLook, 0)).as("round %d", i).isEqualTo(remote);
        }
    }
}
