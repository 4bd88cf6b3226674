package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Control plane down: both controllers are killed under load; traffic keeps flowing on the
 * proxies' cached config (within east and across to west); they come back, proxies reconnect, and
 * a change made after the restart reaches the proxies (resync).
 */
@Order(4)
@ExtendWith(FederationExtension.class)
class ControlPlaneDownIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void traffic_flows_on_cached_config_and_the_restarted_controllers_resync() {
        ScenarioReport report = ScenarioReport.of("control-plane-down");
        MeshPod client = fed.pod("east", "client");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), report, "details from west");
        client.startLoad("cp-reviews", Mesh.REVIEWS_URL, Duration.ofMillis(50));
        client.startLoad("cp-details", Mesh.DETAILS_URL, Duration.ofMillis(50));
        await().atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("cp-details").ok() >= 20);

        long downAt = System.currentTimeMillis();
        fed.killController("east");
        fed.killController("west");
        await("traffic during the outage").atMost(Duration.ofSeconds(60))
                .until(() -> client.loadStats("cp-reviews").since(downAt).size() >= 100
                        && client.loadStats("cp-details").since(downAt).size() >= 100);
        LoadReport reviewsDown = client.loadStats("cp-reviews");
        LoadReport detailsDown = client.loadStats("cp-details");
        long failedDuringOutage = reviewsDown.since(downAt).stream().filter(s -> s.status() != 200).count()
                + detailsDown.since(downAt).stream().filter(s -> s.status() != 200).count();

        fed.restartController("east");
        fed.restartController("west");
        long upAt = System.currentTimeMillis();
        // Resync: a pod started after the restart gets config and serves through its sidecar.
        MeshPod newer = fed.startPod("reviews", "east", "us-east-1a", "v1");
        long resyncMs = System.currentTimeMillis() - upAt;
        // Proxies reconnecting to the restarted controllers are served only once these have synced, so
        // they never get a registry still being listed, and keep every endpoint they had.
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(60), report,
                "details from west after the restart");
        LoadReport reviews = client.stopLoad("cp-reviews");
        LoadReport details = client.stopLoad("cp-details");
        long failedAfterRestart = reviews.since(upAt).stream().filter(s -> s.status() != 200).count()
                + details.since(upAt).stream().filter(s -> s.status() != 200).count();
        report.count(reviews.sent() + details.sent(), reviews.failed() + details.failed())
                .value("failedDuringOutage", failedDuringOutage)
                .value("failedAfterRestart", failedAfterRestart)
                .value("outageRequests", reviewsDown.since(downAt).size() + detailsDown.since(downAt).size())
                .value("resyncMs", resyncMs)
                .outcome(reviews.failed() + details.failed() == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(newer.healthy()).isTrue();
        assertThat(failedDuringOutage).as("requests failed while the controllers were down").isZero();
        assertThat(failedAfterRestart).as("requests failed once the controllers were back").isZero();
        assertThat(reviews.failed() + details.failed()).as("requests failed in the whole scenario").isZero();
    }
}
