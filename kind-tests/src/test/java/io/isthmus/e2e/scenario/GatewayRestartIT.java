package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshGateway;
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
 * Gateway restart under load: west's east-west gateway is killed while east's client calls
 * {@code details} (only in west, so every call crosses the gateway) and started again. The success
 * rate with retries is reported (a benchmark figure, not asserted); traffic flowing again after
 * the restart is asserted.
 */
@Order(7)
@ExtendWith(FederationExtension.class)
class GatewayRestartIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void traffic_through_a_restarted_gateway_resumes() {
        ScenarioReport report = ScenarioReport.of("gateway-restart");
        MeshPod client = fed.pod("east", "client");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), report, "details from west");
        MeshGateway gw = fed.gateway("network-west");
        client.startLoad("gw", Mesh.DETAILS_URL, Duration.ofMillis(20));
        await().atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("gw").ok() >= 50);
        long killedAt = System.currentTimeMillis();
        gw.kill();
        gw.restart(Duration.ofSeconds(120));
        long restartedAt = System.currentTimeMillis();
        await("calls through the restarted gateway").atMost(Duration.ofSeconds(90)).until(() -> {
            LoadReport r = client.loadStats("gw");
            return r.settledOn("west", restartedAt).map(s -> r.since(s.startMillis()).size() >= 50).orElse(false);
        });
        LoadReport all = client.stopLoad("gw");
        long during = all.since(killedAt).size();
        long failed = all.since(killedAt).stream().filter(s -> s.status() != 200).count();
        long recoveredMs = all.settledOn("west", killedAt).map(s -> s.startMillis() - killedAt).orElse(-1L);
        report.count(all.sent(), all.failed()).value("downMs", restartedAt - killedAt).value("recoveredMs", recoveredMs)
                .value("successRateDuringRestart", String.format("%.3f", during == 0 ? 1.0 : 1.0 - (double) failed / during))
                .outcome("passed").write(SharedFederation.reportDir());
        assertThat(all.settledOn("west", restartedAt)).isPresent();
    }
}
