package io.isthmus.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Metrics;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Istio's metrics name both ends of a call across the networks, as dashboards and service graphs need: east's
 * client calls details, which runs only in west, through west's east-west gateway. The client's sidecar reports the
 * workload that answered (destination app, version, workload, cluster) and details' sidecar reports the caller
 * (source app, workload, cluster) and the service by its host name. Both learn the other end from Istio's peer
 * metadata exchange, which crosses the gateway inside the mTLS stream; without it those labels are {@code unknown}.
 */
@Order(17)
@ExtendWith(FederationExtension.class)
class TelemetryIT {
    private static final String DETAILS = MeshLabels.serviceHostname("details", "default");
    private static final String SCRAPE = "http://127.0.0.1:15090/stats/prometheus";

    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void both_ends_of_a_call_across_the_networks_name_each_other() {
        MeshPod client = fed.pod("east", "client");
        MeshPod details = fed.pod("west", "details");
        await("east's client reaches details in west").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client.call(Mesh.DETAILS_URL).status() == 200);
        for (int i = 0; i < 10; i++) {
            assertThat(client.call(Mesh.DETAILS_URL).status()).isEqualTo(200);
        }

        String[] toDetails = {"reporter=\"source\"", "destination_service=\"" + DETAILS + "\"", "response_code=\"200\""};
        await("the client's sidecar names the workload that answered").atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> {
                    String m = client.call(SCRAPE).body();
                    assertThat(Metrics.sum(m, "istio_requests_total", concat(toDetails, "destination_app=\"details\"",
                            "destination_cluster=\"west\"", "destination_workload_namespace=\"default\"")))
                            .as("source-reported calls to details answered by west's details").isGreaterThanOrEqualTo(10);
                    assertThat(Metrics.sum(m, "istio_requests_total", concat(toDetails, "destination_workload=\"unknown\"")))
                            .as("calls whose answering workload stayed unknown").isZero();
                });

        String[] fromClient = {"reporter=\"destination\"", "destination_service=\"" + DETAILS + "\"",
            "destination_service_name=\"details\"", "source_principal=\"" + Mesh.CLIENT_ID + "\""};
        String serverSide = details.call(SCRAPE).body();
        assertThat(Metrics.sum(serverSide, "istio_requests_total", concat(fromClient, "source_app=\"client\"",
                "source_cluster=\"east\"", "response_code=\"200\"")))
                .as("details' sidecar names the caller, its cluster and the service by host name").isGreaterThanOrEqualTo(10);
        assertThat(Metrics.sum(serverSide, "istio_requests_total", concat(fromClient, "source_workload=\"unknown\"")))
                .as("calls from east's client whose workload stayed unknown").isZero();

        ScenarioReport.of("telemetry").outcome("passed").write(SharedFederation.reportDir());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
