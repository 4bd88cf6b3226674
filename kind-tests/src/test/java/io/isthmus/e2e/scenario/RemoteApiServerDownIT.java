package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Remote API server down: west's API server stops; east keeps west's last-known endpoints
 * (details, only in west, stays callable) and east's controller stays ready; west's API server
 * comes back and a change there (details' pod replaced) reaches east's proxies again.
 */
@Order(10)
@ExtendWith(FederationExtension.class)
class RemoteApiServerDownIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    /** East's controller's /readyz status (its monitoring port: the node address locally, a port-forward on kind). */
    private static int eastReady() {
        return fed.cluster("east").controllerStatus("/readyz");
    }

    @Test
    void east_keeps_west_s_endpoints_and_follows_west_again_after_it_returns() {
        Targets.require(fed, Capability.STOP_API_SERVER);
        ScenarioReport report = ScenarioReport.of("remote-api-down");
        MeshPod client = fed.pod("east", "client");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), report, "details from west");
        client.startLoad("api-down", Mesh.DETAILS_URL, Duration.ofMillis(50));
        long downAt = System.currentTimeMillis();
        fed.cluster("west").stopApiServer();
        try {
            await("traffic while west's API server is down").atMost(Duration.ofSeconds(60))
                    .until(() -> client.loadStats("api-down").since(downAt).size() >= 200);
            int readyWhileDown = eastReady();
            LoadReport during = client.stopLoad("api-down");
            long failedDuring = during.since(downAt).stream().filter(s -> s.status() != 200).count();
            report.count(during.sent(), during.failed()).value("failedWhileDown", failedDuring)
                    .value("eastReadyzWhileDown", readyWhileDown);
            assertThat(failedDuring).as("calls to west's details failed while its API server was down").isZero();
            assertThat(readyWhileDown).as("east's controller /readyz while west's API server is down").isEqualTo(200);
        } finally {
            fed.cluster("west").restartApiServer();
        }
        // A change in west after the restart reaches east: details' pod is replaced.
        MeshPod oldDetails = fed.pod("west", "details");
        MeshPod newDetails = fed.startPod("details", "west", "us-west-1a", "v1");
        fed.kill(oldDetails, Duration.ZERO);
        Probe.Timed moved = Probe.until(client, Mesh.DETAILS_URL, r -> newDetails.name().equals(r.field("pod")),
                Duration.ofSeconds(90), report, "east reaches west's new details pod");
        report.value("changeFlowsAfterRestartMs", moved.millis()).outcome("passed").write(SharedFederation.reportDir());
    }
}
