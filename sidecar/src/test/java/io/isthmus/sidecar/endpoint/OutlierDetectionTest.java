package io.isthmus.sidecar.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsResourceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Consecutive-error ejection: an endpoint answering 5xx leaves the rotation and returns after its ejection time. */
class OutlierDetectionTest {

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
    void anEndpointIsEjectedAfterConsecutiveErrorsAndReturns() {
        // The proxy's clock stands still unless the test moves it: the ejection cannot run out while the
        // requests below are still on their way, however slow the machine.
        AtomicLong now = new AtomicLong(1_000_000_000L);
        mesh.useClock(now::get);
        AppServer good = mesh.app("good");
        AppServer bad = mesh.app("bad");
        bad.status.set(500);
        Outbound out = Outbound.create(mesh, Outbound.cluster(Xds.outlier(3, 500, 50)), RouteAction.newBuilder());
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0,
                Xds.lbEndpoint("127.0.0.1", good.port, 1), Xds.lbEndpoint("127.0.0.1", bad.port, 1))));

        for (int i = 0; i < 10; i++) {
            out.get(mesh, "/x");
        }
        assertThat(status(out, bad.port).ejected()).isTrue();
        int badHits = bad.hits.get();
        for (int i = 0; i < 10; i++) {
            assertThat(out.get(mesh, "/x").body()).isEqualTo("good");
        }
        assertThat(bad.hits.get()).isEqualTo(badHits);

        bad.status.set(200);
        now.addAndGet(Duration.ofMillis(499).toNanos());
        assertThat(status(out, bad.port).ejected()).as("still ejected before its ejection time").isTrue();
        now.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(status(out, bad.port).ejected()).as("back after its ejection time").isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> "bad".equals(out.get(mesh, "/x").body()));
    }

    @Test
    void ejectionTimeGrowsWithRepeatedEjections() {
        long[] now = {1_000_000_000L};
        LongSupplier clock = () -> now[0];
        EndpointState state = new EndpointState();
        Endpoint e = new Endpoint(new EndpointAddress("10.0.0.1", 80), LocalityKey.UNSPECIFIED, 0, 1, true, state);
        Endpoint other = new Endpoint(new EndpointAddress("10.0.0.2", 80), LocalityKey.UNSPECIFIED, 0, 1, true,
                new EndpointState());
        OutlierConfig config = consecutiveOnly(2, 2, 0, 100);
        OutlierDetector d = new OutlierDetector("c", config, clock, () -> List.of(e, other));

        d.record(e, EndpointState.Outcome.SERVER_ERROR);
        d.record(e, EndpointState.Outcome.SERVER_ERROR);
        assertThat(state.ejected(now[0])).isTrue();
        now[0] += Duration.ofSeconds(31).toNanos();
        assertThat(state.ejected(now[0])).isFalse();

        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        assertThat(state.ejectionCount()).isEqualTo(2);
        now[0] += Duration.ofSeconds(31).toNanos();
        assertThat(state.ejected(now[0])).as("second ejection lasts 2 x base").isTrue();
        now[0] += Duration.ofSeconds(30).toNanos();
        assertThat(state.ejected(now[0])).isFalse();
    }

    @Test
    void maxEjectionPercentKeepsPartOfTheClusterInRotation() {
        long now = 1_000_000_000L;
        List<Endpoint> eps = List.of(
                new Endpoint(new EndpointAddress("10.0.0.1", 80), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState()),
                new Endpoint(new EndpointAddress("10.0.0.2", 80), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState()),
                new Endpoint(new EndpointAddress("10.0.0.3", 80), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState()),
                new Endpoint(new EndpointAddress("10.0.0.4", 80), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState()));
        OutlierConfig config = consecutiveOnly(1, 1, 100, 50);
        OutlierDetector d = new OutlierDetector("c", config, () -> now, () -> eps);

        eps.forEach(e -> d.record(e, EndpointState.Outcome.GATEWAY_ERROR));

        assertThat(eps.stream().filter(e -> e.state().ejected(now)).count()).isEqualTo(2);
    }

    @Test
    void withTheSplitLocalOriginFailuresHaveTheirOwnCounter() {
        long now = 1_000_000_000L;
        Endpoint e = new Endpoint(new EndpointAddress("10.0.0.1", 80), LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState());
        OutlierConfig c = consecutiveOnly(3, 3, 100, 100);
        OutlierConfig split = new OutlierConfig(c.consecutive5xx(), c.enforcing5xx(), c.consecutiveGatewayFailure(),
                c.enforcingGatewayFailure(), c.interval(), c.baseEjectionTime(), c.maxEjectionTime(), c.maxEjectionPercent(),
                c.alwaysEjectOneHost(), c.maxEjectionTimeJitter(), c.successRate(), c.failurePercentage(),
                new OutlierConfig.LocalOrigin(true, 3, 100));
        OutlierDetector d = new OutlierDetector("c", split, () -> now, () -> List.of(e));

        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        d.record(e, EndpointState.Outcome.GATEWAY_ERROR);
        d.record(e, EndpointState.Outcome.GATEWAY_ERROR);
        assertThat(e.state().ejected(now)).as("a response means the connection worked; local failures are not 5xx").isFalse();
        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        assertThat(e.state().ejected(now)).isFalse();
        d.record(e, EndpointState.Outcome.LOCAL_FAILURE);
        assertThat(e.state().ejected(now)).as("three local-origin failures in a row").isTrue();
    }

    @Test
    void withTheSplitAnEndpointRefusingConnectionsIsEjectedByConsecutiveLocalOriginFailures() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        mesh.useClock(now::get);
        AppServer good = mesh.app("good");
        int refusing = TestMesh.freePort();
        Outbound out = Outbound.create(mesh, Outbound.cluster(Xds.outlier(3, 500, 50).toBuilder()
                .setEnforcingConsecutive5Xx(com.google.protobuf.UInt32Value.of(0))
                .setEnforcingConsecutiveGatewayFailure(com.google.protobuf.UInt32Value.of(0))
                .setSplitExternalLocalOriginErrors(true)
                .setConsecutiveLocalOriginFailure(com.google.protobuf.UInt32Value.of(3))
                .build()), RouteAction.newBuilder());
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0,
                Xds.lbEndpoint("127.0.0.1", good.port, 1), Xds.lbEndpoint("127.0.0.1", refusing, 1))));

        for (int i = 0; i < 6; i++) {
            out.get(mesh, "/x");
        }

        assertThat(status(out, refusing).ejected()).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(out.get(mesh, "/x").body()).isEqualTo("good");
        }
    }

    @Test
    void outlierSettingsTheProxyCannotHonourAreANackNamingTheField() {
        io.isthmus.sidecar.DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        var monitors = Outbound.cluster(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection.newBuilder()
                .addMonitors(io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig.newBuilder().setName("custom")).build());
        assertThatThrownBy(() -> dp.clusters().apply(java.util.Map.of(monitors.getName(), monitors), "1"))
                .isInstanceOfSatisfying(XdsResourceException.class,
                        e -> assertThat(e.field()).isEqualTo("outlier_detection.monitors"));

        var shortMax = Outbound.cluster(Xds.outlier(3, 5000, 50).toBuilder()
                .setMaxEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(1)).build());
        assertThatThrownBy(() -> dp.clusters().apply(java.util.Map.of(shortMax.getName(), shortMax), "1"))
                .isInstanceOfSatisfying(XdsResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo("outlier_detection");
                    assertThat(e.getMessage()).contains("max_ejection_time");
                });

        var over = Outbound.cluster(Xds.outlier(3, 500, 50).toBuilder()
                .setEnforcingSuccessRate(com.google.protobuf.UInt32Value.of(101)).build());
        assertThatThrownBy(() -> dp.clusters().apply(java.util.Map.of(over.getName(), over), "1"))
                .isInstanceOfSatisfying(XdsResourceException.class,
                        e -> assertThat(e.getMessage()).contains("enforcing_success_rate"));
    }

    /** Consecutive-error detection with Envoy's other defaults, success rate not enforced. */
    static OutlierConfig consecutiveOnly(int consecutive5xx, int consecutiveGateway, int enforcingGateway, int maxPercent) {
        OutlierConfig d = OutlierConfig.ENVOY_DEFAULTS;
        return new OutlierConfig(consecutive5xx, 100, consecutiveGateway, enforcingGateway, d.interval(),
                d.baseEjectionTime(), d.maxEjectionTime(), maxPercent, false, Duration.ZERO,
                new OutlierConfig.SuccessRate(5, 100, 1900, 0, 0), d.failurePercentage(), d.localOrigin());
    }

    private static EndpointStatus status(Outbound out, int port) {
        return out.dataPlane.endpointStatus().stream().filter(s -> s.port() == port).findFirst().orElseThrow();
    }
}
