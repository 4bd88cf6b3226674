package io.isthmus.gateway.lb;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.Locality;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EndpointSelectorTest {

    private final AtomicLong now = new AtomicLong();
    private final OutlierTracker outliers = new OutlierTracker(Duration.ofSeconds(30), Duration.ofMinutes(5), now::get);
    private final EndpointSelector selector = new EndpointSelector(outliers);

    private static GatewayEndpoint ep(int last, int priority, int weight) {
        return new GatewayEndpoint(new InetSocketAddress("10.2.0." + last, 9080), Locality.of("west", "a"), priority, weight);
    }

    @Test
    void nearestPriorityFirstAndRoundRobinWithinIt() {
        GatewayEndpoint a = ep(1, 0, 1);
        GatewayEndpoint b = ep(2, 0, 1);
        GatewayEndpoint far = ep(3, 1, 1);
        Map<GatewayEndpoint, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            List<GatewayEndpoint> order = selector.attemptOrder("c", List.of(far, a, b), 5);
            assertThat(order).hasSize(3).last().isEqualTo(far);
            firsts.merge(order.get(0), 1, Integer::sum);
        }
        assertThat(firsts).containsOnlyKeys(a, b).containsEntry(a, 50).containsEntry(b, 50);
    }

    @Test
    void weightsShareTheFirstPick() {
        GatewayEndpoint heavy = ep(1, 0, 3);
        GatewayEndpoint light = ep(2, 0, 1);
        Map<GatewayEndpoint, Integer> firsts = new HashMap<>();
        for (int i = 0; i < 400; i++) {
            firsts.merge(selector.attemptOrder("c", List.of(heavy, light), 5).get(0), 1, Integer::sum);
        }
        assertThat(firsts).containsEntry(heavy, 300).containsEntry(light, 100);
    }

    @Test
    void ejectedEndpointsGoLastAndComeBackAfterTheirEjection() {
        GatewayEndpoint a = ep(1, 0, 1);
        GatewayEndpoint b = ep(2, 0, 1);
        outliers.connectFailed(a.address());
        for (int i = 0; i < 10; i++) {
            assertThat(selector.attemptOrder("c", List.of(a, b), 5)).containsExactly(b, a);
        }
        assertThat(outliers.ejectedCount()).isEqualTo(1);
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(outliers.ejected(a.address())).isFalse();
        // a second failure ejects for twice as long
        outliers.connectFailed(a.address());
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(outliers.ejected(a.address())).isTrue();
        outliers.connectSucceeded(a.address());
        assertThat(outliers.ejected(a.address())).isFalse();
    }

    @Test
    void everythingEjectedStillTriesAllAndAttemptsAreCapped() {
        List<GatewayEndpoint> all = List.of(ep(1, 0, 1), ep(2, 0, 1), ep(3, 0, 1));
        all.forEach(e -> outliers.connectFailed(e.address()));
        assertThat(selector.attemptOrder("c", all, 5)).hasSize(3);
        assertThat(selector.attemptOrder("c", all, 2)).hasSize(2);
    }
}
