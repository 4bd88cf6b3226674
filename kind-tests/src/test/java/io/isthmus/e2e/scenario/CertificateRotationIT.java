package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workload certificate rotation under load: the suite's proxies ask for 2-minute certificates,
 * so the east client's and west details' certificates renew while the client calls reviews (in
 * east) and details (in west, through the gateway); no request fails. Root rotation, a second
 * root added to the bundles and the old one removed, is {@link RootRotationIT}.
 */
@Order(9)
@ExtendWith(FederationExtension.class)
class CertificateRotationIT {
    private static final Pattern SERIAL = Pattern.compile("\"serial\"\\s*:\\s*\"([0-9a-f]+)\"");
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    private static String serial(MeshPod pod) {
        Matcher m = SERIAL.matcher(pod.call("http://127.0.0.1:15000/config_dump").body());
        return m.find() ? m.group(1) : "";
    }

    @Test
    void certificates_renew_under_load_without_a_failed_request() {
        Duration ttl = fed.workloadCertTtl();
        Assumptions.assumeTrue(ttl.compareTo(Duration.ofMinutes(10)) <= 0, () -> "target " + fed.target()
                + ": the sidecars ask for certificates of " + ttl + ", so none renews within the run"
                + " (kind-tests/kind/up.sh gives the demo sidecars ISTHMUS_CERT_TTL=120s)");
        ScenarioReport report = ScenarioReport.of("cert-rotation");
        MeshPod client = fed.pod("east", "client");
        MeshPod details = fed.pod("west", "details");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), report, "details from west");
        String clientBefore = serial(client);
        String detailsBefore = serial(details);
        assertThat(clientBefore).as("the client's certificate serial in its config_dump").isNotEmpty();

        client.startLoad("rot-reviews", Mesh.REVIEWS_URL, Duration.ofMillis(50));
        client.startLoad("rot-details", Mesh.DETAILS_URL, Duration.ofMillis(50));
        long start = System.currentTimeMillis();
        await("both certificates renewed").atMost(Duration.ofSeconds(Math.max(180, ttl.toSeconds() * 2)))
                .pollInterval(Duration.ofSeconds(2))
                .until(() -> !serial(client).equals(clientBefore) && !serial(details).equals(detailsBefore));
        long renewedAfter = System.currentTimeMillis() - start;
        // Keep the load on a little after the swap.
        await().atMost(Duration.ofSeconds(30)).until(() -> client.loadStats("rot-details").since(start + renewedAfter).size() >= 40);
        LoadReport reviews = client.stopLoad("rot-reviews");
        LoadReport det = client.stopLoad("rot-details");
        report.count(reviews.sent() + det.sent(), reviews.failed() + det.failed()).value("renewedWithinMs", renewedAfter)
                .outcome(reviews.failed() + det.failed() == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(reviews.failures()).as("failed calls to reviews during renewal").isEmpty();
        assertThat(det.failures()).as("failed calls to details during renewal").isEmpty();
    }
}
