package io.isthmus.e2e.scenario;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.net.Ip;
import io.isthmus.e2e.net.Isolation;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local federation's network holds: the driver's namespace has no way off the machine, every
 * pod answers on its own address, and a pod of east has no route to a pod of west.
 */
@Order(90)
@ExtendWith(FederationExtension.class)
class NetworkIsolationIT {
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void the_driver_namespace_has_no_route_off_the_machine() {
        Targets.require(fed, Capability.NETWORK_SANDBOX);
        assertThat(Ip.ip("route", "show", "default").trim()).isEmpty();
        Isolation.requireIsolatedOuterNamespace();
    }

    @Test
    void an_east_pod_cannot_reach_a_west_pod_directly() {
        Targets.require(fed, Capability.NETWORK_SANDBOX);
        ScenarioReport report = ScenarioReport.of("network-isolation");
        MeshPod client = fed.pod("east", "client");
        MeshPod westReviews = fed.cluster("west").pods("reviews").get(0);
        PodHandle.CallResult r = client.call("http://" + westReviews.address() + ":" + ControlServer.PORT + "/health");
        report.count(1, r.status() == 0 ? 0 : 1);
        assertThat(r.status()).as("east -> west pod: %s", r.error()).isZero();
        assertThat(Isolation.unreachable("isthmus-east-" + client.name(), westReviews.address())).isTrue();
        MeshPod eastReviews = fed.cluster("east").pods("reviews").get(0);
        PodHandle.CallResult same = client.call("http://" + eastReviews.address() + ":" + ControlServer.PORT + "/health");
        report.count(1, same.status() == 200 ? 0 : 1);
        assertThat(same.status()).as("east -> east pod: %s", same.error()).isEqualTo(200);
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    /**
     * A bridge keeps its MAC whatever ports come and go. Given none, it would take the lowest of its ports': a pod
     * whose veth has a lower MAC would change the router's MAC under every other pod of the network, and their
     * calls off the network would be lost until their ARP entries were probed again (seconds).
     */
    @Test
    void every_bridge_keeps_its_mac_when_a_port_with_a_lower_one_comes_and_goes() {
        Targets.require(fed, Capability.NETWORK_SANDBOX);
        List<String> bridges = Ip.ip("-o", "link", "show", "type", "bridge").lines()
                .map(l -> l.split(":")[1].trim()).filter(n -> n.startsWith("ib")).toList();
        assertThat(bridges).as("the sandbox's bridges").isNotEmpty();
        for (String bridge : bridges) {
            String before = mac(bridge);
            String probe = "ivmacprobe";
            Ip.ip("link", "add", probe, "type", "veth", "peer", "name", probe + "p");
            try {
                Ip.ip("link", "set", probe, "address", "02:00:00:00:00:00");
                Ip.ip("link", "set", probe, "master", bridge, "up");
                assertThat(mac(bridge)).as("%s with a port of a lower MAC", bridge).isEqualTo(before);
            } finally {
                Ip.ipQuietly("link", "del", probe);
            }
            assertThat(mac(bridge)).as("%s once that port is gone", bridge).isEqualTo(before);
        }
    }

    private static String mac(String link) {
        String line = Ip.ip("-o", "link", "show", link);
        int at = line.indexOf("link/ether ");
        assertThat(at).as("an Ethernet link: %s", line).isNotNegative();
        return line.substring(at + "link/ether ".length()).split(" ")[0];
    }

    @Test
    void every_pod_answers_on_its_control_port() {
        for (var c : fed.clusters()) {
            for (MeshPod p : c.pods()) {
                assertThat(p.healthy()).as("pod %s", p).isTrue();
            }
        }
    }
}
