package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.UsesTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Primary-remote: north runs no controller; its proxies get certificates and config from east's
 * controller through east's east-west gateway. North's client calls reviews by hostname and is
 * answered in north; with north's reviews gone, it is answered by a primary's pods through their
 * gateway, still with its own identity.
 */
@Order(100)
@UsesTopology(SharedFederation.PRIMARY_REMOTE)
@ExtendWith(FederationExtension.class)
class PrimaryRemoteIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void a_remote_cluster_is_served_by_its_primary_s_controller_through_the_gateway() {
        ScenarioReport report = ScenarioReport.of("primary-remote");
        assertThat(fed.cluster("north").runsController()).as("north runs no controller").isFalse();
        MeshPod client = fed.pod("north", "client");
        Probe.until(client, Mesh.REVIEWS_URL, r -> "north".equals(r.field("cluster")), Duration.ofSeconds(90), report,
                "north's client answered by north's reviews");

        for (MeshPod p : fed.cluster("north").pods("reviews")) {
            fed.kill(p, Duration.ZERO);
        }
        Probe.Timed moved = Probe.until(client, Mesh.REVIEWS_URL, r -> r.status() == 200 && !"north".equals(r.field("cluster")),
                Duration.ofSeconds(90), report, "north's client answered by a primary cluster");
        assertThat(moved.last().field("caller")).isEqualTo(Mesh.CLIENT_ID);
        report.value("movedToMs", moved.millis()).value("answeredBy", moved.last().field("cluster"))
                .outcome("passed").write(SharedFederation.reportDir());
    }
}
