package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Circuit breakers: requests beyond max_requests are answered 503 with flag UO, the rest pass. */
class CircuitBreakerTest {

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void overflowIsAnswered503WithUo() {
        AppServer slow = mesh.app("slow");
        slow.delayMillis.set(1_500);
        Cluster c = Outbound.cluster(null).toBuilder().setCircuitBreakers(CircuitBreakers.newBuilder()
                .addThresholds(CircuitBreakers.Thresholds.newBuilder().setMaxRequests(UInt32Value.of(2)))).build();
        Outbound out = Outbound.create(mesh, c, RouteAction.newBuilder());
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", slow.port, 1))));

        List<TestMesh.Reply> done = TestMesh.parallel(6, () -> out.get(mesh, "/x"));

        assertThat(done).filteredOn(r -> r.status() == 200).hasSizeGreaterThanOrEqualTo(2);
        assertThat(done).filteredOn(r -> r.status() == 503).isNotEmpty()
                .allMatch(r -> "UO".equals(r.header("x-isthmus-response-flags")));
    }

    @Test
    void theRetryBudgetBoundsConcurrentRetriesByActiveRequests() {
        CircuitBreakerLimits budget = new CircuitBreakerLimits(1024, 1024, 1024, Integer.MAX_VALUE, 20.0, 3);

        assertThat(budget.retryAllowed(2, 0)).as("min retry concurrency").isTrue();
        assertThat(budget.retryAllowed(3, 10)).isFalse();
        assertThat(budget.retryAllowed(19, 100)).isTrue();
        assertThat(budget.retryAllowed(20, 100)).isFalse();
        assertThat(CircuitBreakerLimits.DEFAULTS.retryAllowed(10_000, 1)).as("unbounded without budget").isTrue();
        assertThat(new CircuitBreakerLimits(1024, 1024, 1024, 2, -1, 3).retryAllowed(2, 100)).isFalse();
    }
}
