package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
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

/**
 * A cluster leaves and joins: deleting east's remote secret of west removes west's endpoints from
 * east's proxies ({@code details}, which runs only in west, stops answering east's client);
 * creating it again makes {@code details} callable from east through west's gateway. Both times
 * are reported; the bound asserted is the generous await.
 */
@Order(2)
@ExtendWith(FederationExtension.class)
class JoinAndLeaveIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void west_leaves_when_its_secret_is_deleted_and_joins_when_it_is_created() {
        ScenarioReport leave = ScenarioReport.of("cluster-leaves");
        ScenarioReport join = ScenarioReport.of("join");
        MeshPod client = fed.pod("east", "client");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), join,
                "details (west only) reachable from east before the test");

        fed.deleteRemoteSecret("east", "west");
        Probe.Timed gone = Probe.until(client, Mesh.DETAILS_URL, r -> r.status() != 200, Duration.ofSeconds(60), leave,
                "west's endpoints gone from east's proxies");
        leave.value("leaveMs", gone.millis()).value("lastStatus", gone.last().status())
                .outcome("passed").write(SharedFederation.reportDir());

        // Reviews stays served by east's own pods meanwhile.
        assertThat(client.call(Mesh.REVIEWS_URL).field("cluster")).isEqualTo("east");

        fed.createRemoteSecret("east", "west");
        Probe.Timed back = Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90),
                join, "details callable from east after west's secret is created");
        join.value("joinMs", back.millis()).outcome("passed").write(SharedFederation.reportDir());
        assertThat(back.last().field("caller")).isEqualTo(Mesh.CLIENT_ID);
    }
}
