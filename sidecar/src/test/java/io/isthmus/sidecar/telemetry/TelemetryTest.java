package io.isthmus.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.sidecar.testing.MeshPair;
import io.isthmus.sidecar.testing.TestMesh;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Istio's standard metrics with their labels, on both sides of an mTLS hop. */
class TelemetryTest {

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
    void bothReportersCountTheRequestWithIstioLabels() {
        MeshPair pair = new MeshPair(mesh, true, List.of());
        assertThat(pair.get(mesh, "/r").status()).isEqualTo(200);
        pair.app.status.set(503);
        assertThat(pair.get(mesh, "/r").status()).isEqualTo(503);

        // A proxy reports a request once it has sent the response's last byte, so the caller may read the answer
        // just before the proxy counts it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pair.client.telemetry().scrape())
                .contains("istio_requests_total{")
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"reviews.default.svc.cluster.local\"[^}]*"
                        + "reporter=\"source\"[^}]*response_code=\"200\"[^}]*source_cluster=\"east\"[^}]*")
                .containsPattern("istio_requests_total\\{[^}]*destination_principal=\"spiffe://cluster.local/ns/default/sa/reviews\"")
                .as("the source reports the endpoint's cluster (its istio metadata) as destination_cluster")
                .containsPattern("istio_requests_total\\{[^}]*destination_cluster=\"west\"[^}]*reporter=\"source\"")
                .containsPattern("istio_requests_total\\{[^}]*response_code=\"503\"")
                .contains("istio_request_duration_milliseconds_bucket{")
                .contains("istio_request_bytes_bucket{")
                .contains("istio_response_bytes_bucket{"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(pair.server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*connection_security_policy=\"mutual_tls\"[^}]*"
                        + "reporter=\"destination\"[^}]*source_principal=\"spiffe://cluster.local/ns/default/sa/productpage\""));
    }

    @Test
    void requestIdsAreGeneratedWhenAbsentAndKeptWhenPresent() {
        MeshPair pair = new MeshPair(mesh, true, List.of());
        mesh.send(io.vertx.core.http.HttpMethod.GET, "127.0.0.2", pair.outboundPort, "reviews.default.svc.cluster.local:9080",
                "/r", java.util.Map.of("x-request-id", "abc-123",
                        "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), null);

        assertThat(pair.app.lastHeaders.get().get("x-request-id")).isEqualTo("abc-123");
        assertThat(pair.app.lastHeaders.get().get("traceparent"))
                .startsWith("00-0af7651916cd43dd8448eb211c80319c-").endsWith("-01")
                .doesNotContain("b7ad6b7169203331");
    }
}
