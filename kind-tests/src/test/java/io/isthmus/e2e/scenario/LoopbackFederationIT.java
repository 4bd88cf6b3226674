package io.isthmus.e2e.scenario;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.net.LoopbackPlan;
import io.isthmus.e2e.net.NetworkMode;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.UsesTopology;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The two-cluster federation in loopback mode (no network namespaces, what {@code isthmus local
 * up} runs without root; forced here, CI is root): every part on its own 127.x.y.z address; east's
 * client calls {@code reviews} by its hostname (its JVM's hosts file maps it to the client's own
 * outbound address) and stays in east; with east's {@code reviews} killed the calls move to west
 * through west's east-west gateway (the client's sidecar holds west only as the gateway's address,
 * and west's server sees east's client SPIFFE ID). It also records what this mode does not give:
 * the client's pod reaches a west pod directly.
 */
@Order(120)
@UsesTopology(value = SharedFederation.TWO_CLUSTERS, mode = NetworkMode.LOOPBACK)
@ExtendWith(FederationExtension.class)
class LoopbackFederationIT {
    private static final Duration INTERVAL = Duration.ofMillis(20);
    private static final Duration ENDPOINT_DELAY = Duration.ofMillis(Long.getLong("isthmus.e2e.endpointDelayMs", 1000));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static LocalFederation fed;

    @BeforeAll
    static void up(LocalFederation federation) {
        fed = federation;
    }

    @Test
    void every_part_has_its_own_loopback_address() {
        assertThat(fed.networkMode()).isEqualTo(NetworkMode.LOOPBACK);
        List<String> seen = new ArrayList<>();
        fed.clusters().forEach(c -> {
            seen.add(c.nodeAddress());
            c.pods().forEach(p -> seen.add(p.record().address()));
        });
        fed.topology().networks().forEach(n -> seen.add(fed.gateway(n).publicAddress()));
        assertThat(seen).allMatch(LoopbackPlan::isLoopback).doesNotHaveDuplicates();
    }

    @Test
    void the_client_resolves_mesh_names_to_its_own_outbound_address() throws IOException {
        PodHandle client = fed.pod("east", "client");
        String ip = client.record().address();
        String outbound = ip.substring(0, ip.lastIndexOf('.')) + ".3";
        // its sidecar's DNS proxy (on the pod IP, unprivileged port) answers with the node's ISTHMUS_OUTBOUND_ADDRESS
        assertThat(dnsA(ip, 15053, "reviews.default.svc.cluster.local")).isEqualTo(outbound);
        // the app's own lookups come from its hosts file; the short name works in its namespace
        await("east client reaches reviews by its short name").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> client.call("http://reviews:9080/").status() == 200);
        // gRPC (grpc-java resolves through InetAddress too), HTTP/2 from sidecar to sidecar
        String grpcTarget = MeshLabels.serviceHostname("reviews", "default") + ":9090";
        await("east client reaches reviews over gRPC by hostname").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> client.callGrpc(grpcTarget).ok());
        assertThat(client.callGrpc(grpcTarget).field("caller")).isEqualTo(Mesh.CLIENT_ID);
    }

    @Test
    void east_client_stays_in_east_then_fails_over_to_west_through_wests_gateway() {
        ScenarioReport report = ScenarioReport.of("loopback-federation");
        PodHandle client = fed.pod("east", "client");
        await("east client reaches reviews in east by hostname").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> "east".equals(client.call(Mesh.REVIEWS_URL).field("cluster")));

        client.startLoad("loopback", Mesh.REVIEWS_URL, INTERVAL);
        await("steady load flowing").atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("loopback").ok() >= 100);
        LoadReport before = client.loadStats("loopback");
        long eastBefore = before.byCluster().getOrDefault("east", 0);

        // Not isolated: the client's pod reaches a west pod's port directly (namespace mode refuses this).
        PodHandle westReviews = fed.cluster("west").pods("reviews").get(0);
        PodHandle.CallResult direct = client.call("http://" + westReviews.record().address() + ":" + ControlServer.PORT + "/health");

        long killedAt = System.currentTimeMillis();
        for (PodHandle p : fed.cluster("east").pods("reviews")) {
            fed.kill(p, ENDPOINT_DELAY);
        }
        await("traffic settled on west").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            LoadReport r = client.loadStats("loopback");
            return r.settledOn("west", killedAt).map(s -> r.since(s.startMillis()).size() >= 50).orElse(false);
        });
        PodHandle.CallResult viaGateway = client.call(Mesh.REVIEWS_URL);
        String gateway = fed.gateway(fed.cluster("west").spec().network()).publicAddress();
        String clusters = admin(client, "/clusters");
        LoadReport all = client.stopLoad("loopback");

        LoadReport.Sample settledWest = all.settledOn("west", killedAt).orElseThrow();
        List<String> reviewsEndpoints = clusters.lines().filter(l -> l.startsWith("outbound|9080||reviews.") && l.contains("::health_flags::"))
                .map(l -> l.split("::")[1]).distinct().toList();
        report.count(all.sent(), all.failed())
                .value("mode", "loopback")
                .value("eastBeforeKill", eastBefore)
                .value("sentBeforeKill", before.sent())
                .value("failoverMs", settledWest.startMillis() - killedAt)
                .value("byCluster", all.byCluster())
                .value("reviewsEndpointsSeenByClient", reviewsEndpoints)
                .value("directCrossNetworkStatus", direct.status());
        report.outcome(all.failed() == 0 ? "passed" : "failed").write(SharedFederation.reportDir());

        assertThat(before.byCluster()).as("before the kill every call stays in east").containsOnlyKeys("east");
        assertThat(viaGateway.field("cluster")).as("answered by west: %s", viaGateway).isEqualTo("west");
        assertThat(viaGateway.field("caller")).as("west's server sees east's client identity").isEqualTo(Mesh.CLIENT_ID);
        assertThat(reviewsEndpoints).as("the client's sidecar reaches west only through west's gateway")
                .contains(gateway + ":" + WellKnownPorts.EAST_WEST_PASSTHROUGH)
                .noneMatch(a -> a.startsWith(westReviews.record().address().replaceFirst("\\.\\d+\\.\\d+$", ".")));
        assertThat(direct.status()).as("loopback mode does not isolate networks: %s", direct.error()).isEqualTo(200);
        assertThat(all.failures()).as("failed requests (status 0 = no response)").isEmpty();
    }

    /** One A query over UDP; the answer's address (the last four bytes of a one-answer reply). */
    private static String dnsA(String server, int port, String name) throws IOException {
        java.io.ByteArrayOutputStream q = new java.io.ByteArrayOutputStream();
        q.writeBytes(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            q.write(label.length());
            q.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        q.writeBytes(new byte[] {0, 0, 1, 0, 1});
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.setSoTimeout(5000);
            byte[] packet = q.toByteArray();
            s.send(new java.net.DatagramPacket(packet, packet.length, new java.net.InetSocketAddress(server, port)));
            byte[] buf = new byte[512];
            java.net.DatagramPacket r = new java.net.DatagramPacket(buf, buf.length);
            s.receive(r);
            int n = r.getLength();
            assertThat(((buf[6] & 0xff) << 8) | (buf[7] & 0xff)).as("answers to %s", name).isEqualTo(1);
            return (buf[n - 4] & 0xff) + "." + (buf[n - 3] & 0xff) + "." + (buf[n - 2] & 0xff) + "." + (buf[n - 1] & 0xff);
        }
    }

    private static String admin(PodHandle pod, String path) {
        URI uri = URI.create("http://" + pod.record().address() + ":" + WellKnownPorts.ADMIN + path);
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new IllegalStateException("admin " + uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
