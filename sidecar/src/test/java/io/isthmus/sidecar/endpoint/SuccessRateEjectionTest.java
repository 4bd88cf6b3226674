package io.isthmus.sidecar.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.BoolValue;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.admin.EndpointStatus;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Envoy's interval-based ejection with real upstream servers: success rate (mean - factor × stdev),
 * failure percentage, their minimum hosts and request volume, and max ejection percent. The
 * proxy's clock stands still unless a test moves it, so an ejection lasts exactly as long as the test
 * says; most tests end the interval themselves (the interval timer is set to an hour), one lets the
 * proxy's own interval timer do it.
 */
class SuccessRateEjectionTest {

    private static final Duration BASE_EJECTION = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    TestMesh mesh;
    AtomicLong now = new AtomicLong(1_000_000_000L);

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        mesh.useClock(now::get);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void aHostAnswering30PercentErrorsIsEjectedBySuccessRateAndReturns() {
        List<Upstream> hosts = upstreams(4, 0);
        Upstream flaky = upstream("flaky", 3);
        hosts.add(flaky);
        // Envoy's defaults for minimum hosts (5) and stdev factor (1.9); consecutive errors not enforced
        Outbound out = outbound(successRate(20).setMaxEjectionPercent(UInt32Value.of(20)), hosts);

        send(out, 150);
        assertThat(flaky.failures.get()).as("30 %% of the flaky host's requests failed").isEqualTo(9);
        endInterval(out);

        assertThat(ejected(out, flaky)).isTrue();
        assertThat(hosts.stream().filter(h -> h != flaky).noneMatch(h -> ejected(out, h))).isTrue();
        int flakyHits = flaky.hits.get();
        send(out, 20);
        assertThat(flaky.hits.get()).as("no traffic while ejected").isEqualTo(flakyHits);

        flaky.failPer10.set(0);
        now.addAndGet(BASE_EJECTION.toNanos() - 1);
        assertThat(ejected(out, flaky)).as("still ejected before its ejection time").isTrue();
        now.addAndGet(1);
        assertThat(ejected(out, flaky)).as("back after its ejection time").isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            send(out, 5);
            return flaky.hits.get() > flakyHits;
        });
    }

    @Test
    void successRateNeedsTheRequestVolumeOfTheInterval() {
        List<Upstream> hosts = upstreams(4, 0);
        Upstream flaky = upstream("flaky", 3);
        hosts.add(flaky);
        Outbound out = outbound(successRate(20).setMaxEjectionPercent(UInt32Value.of(20)), hosts);

        send(out, 50);
        endInterval(out);
        assertThat(ejected(out, flaky)).as("10 requests per host, below the volume of 20").isFalse();

        send(out, 100);
        endInterval(out);
        assertThat(ejected(out, flaky)).as("20 requests per host in this interval").isTrue();
    }

    @Test
    void successRateNeedsTheMinimumNumberOfHosts() {
        List<Upstream> hosts = upstreams(3, 0);
        Upstream flaky = upstream("flaky", 3);
        hosts.add(flaky);
        // a factor of 1.0 would single the flaky host out among four; five are needed
        Outbound out = outbound(successRate(20).setSuccessRateStdevFactor(UInt32Value.of(1000))
                .setMaxEjectionPercent(UInt32Value.of(50)), hosts);

        send(out, 120);
        endInterval(out);
        assertThat(ejected(out, flaky)).as("four hosts, five needed").isFalse();

        hosts.add(upstream("fifth", 0));
        out.endpoints(cla(hosts));
        send(out, 150);
        endInterval(out);
        assertThat(ejected(out, flaky)).isTrue();
    }

    @Test
    void failurePercentageEjectsHostsAtTheThresholdByTheProxysOwnTimer() {
        List<Upstream> hosts = upstreams(2, 0);
        Upstream mostlyFailing = upstream("failing", 10);
        Upstream somewhatFailing = upstream("somewhat", 3);
        hosts.add(mostlyFailing);
        hosts.add(somewhatFailing);
        Outbound out = outbound(noConsecutive()
                .setInterval(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000))
                .setEnforcingSuccessRate(UInt32Value.of(0))
                .setEnforcingFailurePercentage(UInt32Value.of(100))
                .setFailurePercentageThreshold(UInt32Value.of(50))
                .setFailurePercentageMinimumHosts(UInt32Value.of(4))
                .setFailurePercentageRequestVolume(UInt32Value.of(10))
                .setMaxEjectionPercent(UInt32Value.of(50)), hosts);

        await().atMost(Duration.ofSeconds(60)).until(() -> {
            send(out, 20);
            return ejected(out, mostlyFailing);
        });
        // any 10 or more consecutive requests of the 30 % host hold at most 46 % failures
        assertThat(ejected(out, somewhatFailing)).isFalse();
        assertThat(hosts.stream().filter(h -> h != mostlyFailing).noneMatch(h -> ejected(out, h))).isTrue();
    }

    @Test
    void maxEjectionPercentKeepsTheRestInRotation() {
        List<Upstream> hosts = upstreams(1, 0);
        List<Upstream> failing = List.of(upstream("f1", 10), upstream("f2", 10), upstream("f3", 10));
        hosts.addAll(failing);
        Outbound out = outbound(failurePercentage().setMaxEjectionPercent(UInt32Value.of(50)), hosts);

        send(out, 40);
        endInterval(out);

        assertThat(failing.stream().filter(h -> ejected(out, h)).count()).as("2 of 4 hosts = 50 %").isEqualTo(2);
        assertThat(ejected(out, hosts.get(0))).isFalse();
    }

    @Test
    void aMaxEjectionPercentBelowOneHostEjectsNothingUnlessAlwaysEjectOneHost() {
        List<Upstream> hosts = upstreams(3, 0);
        Upstream failing = upstream("failing", 10);
        hosts.add(failing);
        Outbound strict = outbound(failurePercentage().setMaxEjectionPercent(UInt32Value.of(10)), hosts);
        send(strict, 40);
        endInterval(strict);
        assertThat(ejected(strict, failing)).as("one of four is 25 %, above 10 %").isFalse();

        Outbound lenient = outbound(failurePercentage().setMaxEjectionPercent(UInt32Value.of(10))
                .setAlwaysEjectOneHost(BoolValue.of(true)), hosts);
        send(lenient, 40);
        endInterval(lenient);
        assertThat(ejected(lenient, failing)).isTrue();
    }

    @Test
    void theEjectionTimeGrowsWithRepeatedIntervalEjections() {
        List<Upstream> hosts = upstreams(3, 0);
        Upstream failing = upstream("failing", 10);
        hosts.add(failing);
        Outbound out = outbound(failurePercentage().setMaxEjectionPercent(UInt32Value.of(25)), hosts);

        send(out, 40);
        endInterval(out);
        assertThat(ejected(out, failing)).isTrue();
        now.addAndGet(BASE_EJECTION.toNanos());
        assertThat(ejected(out, failing)).isFalse();

        endInterval(out);
        send(out, 40);
        endInterval(out);
        assertThat(ejected(out, failing)).isTrue();
        now.addAndGet(BASE_EJECTION.toNanos());
        assertThat(ejected(out, failing)).as("the second ejection lasts 2 x base").isTrue();
        now.addAndGet(BASE_EJECTION.toNanos());
        assertThat(ejected(out, failing)).isFalse();
    }

    /** An upstream answering 503 to {@code failPer10} of every 10 requests, in a fixed pattern. */
    static final class Upstream {
        final String name;
        final int port;
        final AtomicInteger failPer10;
        final AtomicInteger hits = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();

        Upstream(String name, int port, int failPer10) {
            this.name = name;
            this.port = port;
            this.failPer10 = new AtomicInteger(failPer10);
        }
    }

    private Upstream upstream(String name, int failPer10) {
        int port = TestMesh.freePort();
        Upstream u = new Upstream(name, port, failPer10);
        HttpServer server = mesh.vertx.createHttpServer().requestHandler(req -> {
            int n = u.hits.getAndIncrement();
            boolean fail = n % 10 < u.failPer10.get();
            if (fail) {
                u.failures.incrementAndGet();
            }
            req.response().setStatusCode(fail ? 503 : 200).end(name);
        });
        TestMesh.await(server.listen(port, "127.0.0.1"));
        return u;
    }

    private List<Upstream> upstreams(int n, int failPer10) {
        List<Upstream> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(upstream("h" + i, failPer10));
        }
        return out;
    }

    private Outbound outbound(OutlierDetection.Builder od, List<Upstream> hosts) {
        Outbound out = Outbound.create(mesh, Outbound.cluster(od.build()), RouteAction.newBuilder());
        out.endpoints(cla(hosts));
        return out;
    }

    private static io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment cla(List<Upstream> hosts) {
        LbEndpoint[] eps = hosts.stream().map(h -> Xds.lbEndpoint("127.0.0.1", h.port, 1)).toArray(LbEndpoint[]::new);
        return Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0, eps));
    }

    /** Consecutive errors detected but never enforced; the interval timer never fires during a test. */
    private static OutlierDetection.Builder noConsecutive() {
        return OutlierDetection.newBuilder()
                .setEnforcingConsecutive5Xx(UInt32Value.of(0))
                .setEnforcingConsecutiveGatewayFailure(UInt32Value.of(0))
                .setInterval(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                .setBaseEjectionTime(com.google.protobuf.Duration.newBuilder().setSeconds(BASE_EJECTION.toSeconds()));
    }

    private static OutlierDetection.Builder successRate(int volume) {
        return noConsecutive().setSuccessRateRequestVolume(UInt32Value.of(volume));
    }

    private static OutlierDetection.Builder failurePercentage() {
        return noConsecutive()
                .setEnforcingSuccessRate(UInt32Value.of(0))
                .setEnforcingFailurePercentage(UInt32Value.of(100))
                .setFailurePercentageMinimumHosts(UInt32Value.of(4))
                .setFailurePercentageRequestVolume(UInt32Value.of(10));
    }

    private void send(Outbound out, int n) {
        for (int i = 0; i < n; i++) {
            out.get(mesh, "/x");
        }
    }

    private static void endInterval(Outbound out) {
        out.dataPlane.cluster(Outbound.SERVICE.clusterName()).orElseThrow().endOutlierInterval();
    }

    private static boolean ejected(Outbound out, Upstream u) {
        EndpointStatus s = out.dataPlane.endpointStatus().stream().filter(e -> e.port() == u.port).findFirst().orElseThrow();
        return s.ejected();
    }
}
