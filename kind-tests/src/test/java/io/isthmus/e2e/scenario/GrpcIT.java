package io.isthmus.e2e.scenario;

import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * gRPC across the federation: east's client calls {@code reviews} on its gRPC port by hostname
 * ({@code reviews.default.svc.cluster.local:9090}, declared GRPC, so HTTP/2 from sidecar to sidecar
 * and to the app) with the app's own grpc-java client: a unary call and a server stream with
 * trailers pass both sidecars with mTLS (the server sees the client's SPIFFE ID). Then, under
 * steady gRPC load, every {@code reviews} pod of east is killed; calls move to west through west's
 * east-west gateway (still HTTP/2 inside mTLS, passed through by SNI) and come back when east
 * recovers.
 *
 * <p>Failed calls: none. The sidecar streams a gRPC request while keeping a replay copy and
 * applies the route's {@code retry_on} ({@code connect-failure,refused-stream,reset,unavailable,
 * cancelled,retriable-status-codes}) to it (docs/xds-support.md, "Retry policy"), so a call caught
 * on a dying endpoint is retried on another one. Failures would still be reported by kind
 * ({@code failedDuringFailover}, {@code failedByStatus}) before the assertion that there are none.
 */
@Order(12)
@ExtendWith(FederationExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcIT {
    /** What east's client calls: reviews' gRPC port by hostname. */
    static final String REVIEWS_GRPC = MeshLabels.serviceHostname("reviews", "default") + ":9090";
    /** One call every 20 ms: 50 calls a second of steady load. */
    private static final Duration INTERVAL = Duration.ofMillis(20);
    private static final Duration ENDPOINT_DELAY = Duration.ofMillis(Long.getLong("isthmus.e2e.endpointDelayMs", 1000));
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    @Order(1)
    void a_unary_call_and_a_server_stream_cross_both_sidecars_with_mtls() {
        MeshPod client = fed.pod("east", "client");
        await("east client reaches reviews in east over gRPC by hostname").atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    PodHandle.GrpcCall c = client.callGrpc(REVIEWS_GRPC);
                    return c.ok() && "east".equals(c.field("cluster"));
                });
        PodHandle.GrpcCall hello = client.callGrpc(REVIEWS_GRPC);
        assertThat(hello.ok()).as("%s", hello).isTrue();
        assertThat(hello.field("caller")).as("the server sees the client's identity").isEqualTo(Mesh.CLIENT_ID);
        assertThat(hello.field("port")).isEqualTo("9090");
        assertThat(hello.trailers()).containsEntry("x-demo-pod", hello.field("pod"));

        PodHandle.GrpcCall stream = client.watchGrpc(REVIEWS_GRPC, 25, Duration.ofMillis(10));
        assertThat(stream.ok()).as("%s", stream).isTrue();
        assertThat(stream.replies()).hasSize(25);
        assertThat(stream.replies()).extracting(r -> r.get("seq"))
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 25).mapToObj(Integer::toString).toList());
        assertThat(stream.replies()).extracting(r -> r.get("caller")).containsOnly(Mesh.CLIENT_ID);
        assertThat(stream.trailers()).as("trailers pass both sidecars")
                .containsEntry("x-demo-sent", "25").containsEntry("x-demo-pod", stream.field("pod"));

        ScenarioReport.of("grpc-calls").count(2, 0)
                .value("unaryFrom", hello.field("cluster") + "/" + hello.field("pod"))
                .value("streamMessages", stream.replies().size())
                .value("trailers", stream.trailers())
                .outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(2)
    void under_grpc_load_east_loses_reviews_and_calls_move_to_west_and_back() {
        ScenarioReport report = ScenarioReport.of("grpc-failover");
        MeshPod client = fed.pod("east", "client");
        await("gRPC reaches reviews in east").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> "east".equals(client.callGrpc(REVIEWS_GRPC).field("cluster")));

        client.startGrpcLoad("grpc-failover", REVIEWS_GRPC, INTERVAL);
        await("steady gRPC load flowing").atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("grpc-failover").ok() >= 100);

        List<? extends MeshPod> eastReviews = fed.cluster("east").pods("reviews");
        assertThat(eastReviews).isNotEmpty();
        long killedAt = System.currentTimeMillis();
        for (MeshPod p : eastReviews) {
            fed.kill(p, ENDPOINT_DELAY);
        }
        long killedBy = System.currentTimeMillis();
        await("gRPC traffic settled on west").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            LoadReport r = client.loadStats("grpc-failover");
            return r.settledOn("west", killedAt).map(s -> r.since(s.startMillis()).size() >= 50).orElse(false);
        });
        PodHandle.GrpcCall viaGateway = client.callGrpc(REVIEWS_GRPC);
        PodHandle.GrpcCall streamViaGateway = client.watchGrpc(REVIEWS_GRPC, 10, Duration.ZERO);

        long recoverAt = System.currentTimeMillis();
        fed.startPod("reviews", "east", "us-east-1a", "v1");
        fed.startPod("reviews", "east", "us-east-1b", "v2");
        long readyAt = System.currentTimeMillis();
        await("gRPC traffic back on east").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            LoadReport r = client.loadStats("grpc-failover");
            return r.settledOn("east", readyAt).map(s -> r.since(s.startMillis()).size() >= 50).orElse(false);
        });
        LoadReport all = client.stopLoad("grpc-failover");

        LoadReport.Sample firstWest = all.firstOkFrom("west", killedAt).orElseThrow();
        LoadReport.Sample settledWest = all.settledOn("west", killedAt).orElse(firstWest);
        LoadReport.Sample backEast = all.firstOkFrom("east", readyAt).orElseThrow();
        List<LoadReport.Sample> duringFailover = all.failures().stream()
                .filter(s -> s.startMillis() >= killedAt && s.startMillis() < settledWest.startMillis()).toList();
        Map<Integer, Long> byStatus = all.failures().stream()
                .collect(java.util.stream.Collectors.groupingBy(LoadReport.Sample::status, java.util.TreeMap::new,
                        java.util.stream.Collectors.counting()));
        report.count(all.sent(), all.failed())
                .value("failoverMs", settledWest.startMillis() - killedAt)
                .value("firstWestMs", firstWest.startMillis() - killedAt)
                .value("failedDuringFailover", duringFailover.size())
                .value("failedByStatus", byStatus)
                .value("retriedByMesh", "yes: gRPC requests are replayed by the sidecar until a response reaches the client")
                .value("recoveryMs", backEast.startMillis() - readyAt)
                .value("podsRestartMs", readyAt - recoverAt)
                .value("byCluster", all.byCluster())
                .value("endpointDelayMs", ENDPOINT_DELAY.toMillis());
        boolean onlyRetriable = all.failures().stream().allMatch(GrpcIT::retriable);
        // A call whose reply message had already reached the client when its pod was killed (SIGKILL) lost only
        // its trailers: its answer was under way, and no retry can take it back (a proxy relays a gRPC
        // response as it comes, as Envoy does). Every other failure is one a retry could have saved.
        List<LoadReport.Sample> cutMidResponse = all.failures().stream()
                .filter(s -> "east".equals(s.cluster()) && s.startMillis() < killedBy).toList();
        List<LoadReport.Sample> saveable = all.failures().stream().filter(s -> !cutMidResponse.contains(s)).toList();
        report.value("cutMidResponseByTheKill", cutMidResponse.size())
                .value("failuresOnlyRetriable", onlyRetriable)
                .outcome(saveable.isEmpty() && cutMidResponse.size() <= eastReviews.size() ? "passed" : "failed")
                .write(SharedFederation.reportDir());

        assertThat(viaGateway.ok()).as("%s", viaGateway).isTrue();
        assertThat(viaGateway.field("cluster")).as("answered through west's gateway").isEqualTo("west");
        assertThat(viaGateway.field("caller")).as("west's server sees east's client identity").isEqualTo(Mesh.CLIENT_ID);
        assertThat(streamViaGateway.ok()).as("%s", streamViaGateway).isTrue();
        assertThat(streamViaGateway.replies()).hasSize(10).allMatch(r -> "west".equals(r.get("cluster")));
        assertThat(streamViaGateway.trailers()).containsEntry("x-demo-sent", "10");
        assertThat(all.failures()).as("failed calls outside the failover window (status 0 = no answer)")
                .containsExactlyElementsOf(duringFailover);
        assertThat(saveable).as("failed calls a retry could save (the sidecar retries gRPC on connect-failure, "
                + "refused-stream, reset, unavailable, cancelled)").isEmpty();
        assertThat(cutMidResponse).as("calls cut after their reply arrived: at most the one in flight to each killed pod")
                .hasSizeLessThanOrEqualTo(eastReviews.size());
    }

    /**
     * Whether a failed call is one the route's retry policy names: no answer (0), UNAVAILABLE (503:
     * the app's, or a proxy's 503 after a connect failure or reset), CANCELLED (499), or a stream
     * reset (grpc-java reports {@code RST_STREAM} as INTERNAL or CANCELLED).
     */
    private static boolean retriable(LoadReport.Sample s) {
        return s.status() == 0 || s.status() == 503 || s.status() == 499
                || s.error().toUpperCase(java.util.Locale.ROOT).contains("RST_STREAM")
                || s.error().toUpperCase(java.util.Locale.ROOT).contains("RST STREAM");
    }
}
