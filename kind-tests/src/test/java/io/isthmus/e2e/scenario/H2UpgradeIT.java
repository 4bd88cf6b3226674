package io.isthmus.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.ConfigDump;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * HTTP/2 between the sidecars (Istio's {@code connectionPool.http.h2UpgradePolicy: UPGRADE}): a DestinationRule in
 * east for details, an HTTP/1.1 port whose pods run only in west, makes east's client sidecar speak HTTP/2 to details'
 * sidecar, through west's east-west gateway (ALPN travels inside the passed-through TLS); the apps on both ends keep
 * HTTP/1.1. The client cluster then offers only {@code h2}, so a call that succeeds went over HTTP/2; on the local
 * federation the server sidecar's access log says so too. Deleting the rule goes back to HTTP/1.1.
 */
@Order(13)
@ExtendWith(FederationExtension.class)
class H2UpgradeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DETAILS_CLUSTER = "outbound|9080||" + MeshLabels.serviceHostname("details", "default");
    private static final String RULE = """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: details-h2, namespace: default}
            spec:
              host: details.default.svc.cluster.local
              trafficPolicy:
                connectionPool:
                  http: {h2UpgradePolicy: UPGRADE}
            """;
    private static final int CALLS = 30;
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void upgrade_speaks_http2_between_the_sidecars_across_the_gateway_and_deleting_the_rule_goes_back() {
        ScenarioReport report = ScenarioReport.of("h2-upgrade");
        MeshPod client = fed.pod("east", "client");
        int failed = 0;
        fed.cluster("east").applyConfig(RULE);
        try {
            await("the upgrade reaches east's client sidecar").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> detailsCluster(client).contains("http2_protocol_options"));
            failed += calls(client, "h2");
            serverProtocols("h2").ifPresent(p -> assertThat(p).as("details' sidecar got the calls over HTTP/2").containsOnly("HTTP/2"));
        } finally {
            fed.cluster("east").deleteConfig(RULE);
        }
        await("the rule's removal reaches east's client sidecar").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> !detailsCluster(client).contains("http2_protocol_options"));
        failed += calls(client, "h1");
        serverProtocols("h1").ifPresent(p -> assertThat(p).as("without the rule: HTTP/1.1 again").containsOnly("HTTP/1.1"));
        report.count(2 * CALLS, failed).outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(failed).as("failed calls of %d", 2 * CALLS).isZero();
    }

    /** {@link #CALLS} calls to details from the client app, on paths marked {@code tag}; returns how many failed. */
    private static int calls(MeshPod client, String tag) {
        int failed = 0;
        for (int i = 0; i < CALLS; i++) {
            PodHandle.CallResult r = client.call(Mesh.DETAILS_URL + "/" + tag + "-" + i);
            if (r.status() != 200) {
                failed++;
                continue;
            }
            assertThat(r.field("cluster")).as("details runs only in west: %s", r).isEqualTo("west");
            assertThat(r.field("caller")).as("mTLS end to end: details reads the client's identity").isEqualTo(Mesh.CLIENT_ID);
        }
        return failed;
    }

    /**
     * On the local federation, the protocol of each inbound request details' sidecar logged on paths marked {@code tag};
     * empty on a target whose process logs the driver cannot read.
     */
    private static Optional<List<String>> serverProtocols(String tag) {
        if (!(fed instanceof LocalFederation local)) {
            return Optional.empty();
        }
        PodHandle details = local.pod("west", "details");
        String marker = "/details/" + tag + "-";
        List<String> protocols = await("details' sidecar logged the calls").atMost(Duration.ofSeconds(10))
                .until(() -> inboundLines(details, marker).stream().map(H2UpgradeIT::protocol).toList(), l -> l.size() >= CALLS);
        return Optional.of(protocols);
    }

    private static List<String> inboundLines(PodHandle pod, String marker) {
        try {
            return Files.readAllLines(pod.process().log()).stream()
                    .filter(l -> l.contains("\"direction\":\"inbound\"") && l.contains(marker)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pod.process().log(), e);
        }
    }

    private static String protocol(String accessLine) {
        return JSON.readTree(accessLine.substring(accessLine.indexOf('{'))).get("protocol").asString();
    }

    /** The details cluster as the client sidecar's {@code /config_dump} shows it, "" when it has none. */
    private static String detailsCluster(MeshPod pod) {
        return ConfigDump.resource(pod, DETAILS_CLUSTER).map(JsonNode::toString).orElse("");
    }
}
