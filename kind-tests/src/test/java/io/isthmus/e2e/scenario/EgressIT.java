package io.isthmus.e2e.scenario;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.EdgeConfig;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import io.isthmus.e2e.support.UsesTopology;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Egress through east's egress gateway: east's client calls {@code http://api.external.test}
 * (plain HTTP, port 80, as an app would); its sidecar sends it to the egress gateway over mesh
 * mTLS; the gateway originates TLS to the external HTTPS server (certificate from a CA that is not
 * the mesh root), which sees TLS with SNI {@code api.external.test}; the gateway's access log names
 * the caller's SPIFFE identity. An AuthorizationPolicy on the gateway denying the client's principal
 * gives 403 while another principal passes. With {@code REGISTRY_ONLY}, a call to a host the
 * registry does not know is answered 502 by the caller's own sidecar and counted with flag NR.
 */
@Order(112)
@UsesTopology(SharedFederation.INGRESS_EGRESS)
@ExtendWith(FederationExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EgressIT {
    static final String API = "http://api.external.test/v1/items";
    static final String UNKNOWN = "http://unknown.external.test/";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static LocalFederation fed;
    private static Map<String, String> vars;

    @BeforeAll
    static void up(Federation federation) {
        fed = Targets.local(federation, Capability.EDGES);
        vars = Map.of("EXTERNAL_CA", fed.edges().externalCaFile().toString());
        EdgeConfig.apply(east(), "egress.yaml", vars);
    }

    private static KubernetesClient east() {
        return fed.cluster("east").client();
    }

    @Test
    @Order(1)
    void the_client_reaches_the_external_https_service_through_the_egress_gateway_which_originates_tls() {
        ScenarioReport report = ScenarioReport.of("egress-tls-origination");
        PodHandle client = fed.pod("east", "client");
        Probe.Timed first = Probe.until(client, API, r -> r.status() == 200, Duration.ofSeconds(90), report,
                "api.external.test through the egress gateway");
        PodHandle.CallResult r = first.last();
        assertThat(r.field("service")).as("answered by the external server: %s", r).isEqualTo("api.external.test");
        assertThat(r.field("tls")).as("the external server was reached over TLS").startsWith("TLSv1.");
        assertThat(r.field("sni")).as("SNI the gateway sent").isEqualTo("api.external.test");
        assertThat(r.field("path")).isEqualTo("/v1/items");

        int calls = 20;
        for (int i = 0; i < calls; i++) {
            PodHandle.CallResult c = client.call(API);
            report.count(1, c.status() == 200 ? 0 : 1);
            assertThat(c.status()).as("call %d: %s", i, c).isEqualTo(200);
        }
        PodHandle gateway = fed.edges().egress("east");
        await("the egress gateway's access log names the caller").atMost(Duration.ofSeconds(30)).until(() ->
                accessLines(gateway).stream().filter(l -> l.contains("\"" + Mesh.CLIENT_ID + "\"")
                        && l.contains("api.external.test")).count() >= calls);
        String line = accessLines(gateway).stream().filter(l -> l.contains(Mesh.CLIENT_ID)).reduce((a, b) -> b).orElseThrow();
        assertThat(line).contains("\"upstream_cluster\":\"outbound|443||api.external.test\"", "\"response_code\":200");
        report.value("firstOkMs", first.millis()).value("accessLog", line.length() > 160 ? line.substring(0, 160) : line);
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(2)
    void an_authorization_policy_on_the_egress_gateway_denies_the_client_s_principal_and_allows_another() {
        ScenarioReport report = ScenarioReport.of("egress-authorization");
        PodHandle client = fed.pod("east", "client");
        PodHandle reviews = fed.pod("east", "reviews");
        Probe.until(client, API, r -> r.status() == 200, Duration.ofSeconds(90), report, "allowed before the policy");
        EdgeConfig.apply(east(), "egress-deny-client.yaml", Map.of());
        try {
            Probe.Timed denied = Probe.until(client, API, r -> r.status() == 403, Duration.ofSeconds(60), report,
                    "client denied at the egress gateway");
            PodHandle.CallResult other = Probe.until(reviews, API, r -> r.status() == 200, Duration.ofSeconds(60), report,
                    "reviews allowed at the egress gateway").last();
            assertThat(other.field("service")).isEqualTo("api.external.test");
            String deniedLine = accessLines(fed.edges().egress("east")).stream()
                    .filter(l -> l.contains(Mesh.CLIENT_ID) && l.contains("\"response_code\":403")).findFirst().orElse("");
            assertThat(deniedLine).as("the gateway logs the denied caller").isNotEmpty();
            report.value("deniedAfterMs", denied.millis())
                    .value("allowedPrincipal", MeshLabels.spiffeId("cluster.local", "default", "bookinfo-reviews"));
        } finally {
            EdgeConfig.delete(east(), "egress-deny-client.yaml", Map.of());
        }
        Probe.until(client, API, r -> r.status() == 200, Duration.ofSeconds(60), report, "client allowed again");
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(3)
    void registry_only_refuses_an_unknown_host_with_502_counted_as_nr() {
        ScenarioReport report = ScenarioReport.of("egress-registry-only");
        PodHandle client = fed.pod("east", "client");
        double before = nrCount(client);
        EdgeConfig.apply(east(), "registry-only.yaml", Map.of());
        try {
            Probe.Timed refused = Probe.until(client, UNKNOWN, r -> r.status() == 502, Duration.ofSeconds(60), report,
                    "unknown host refused");
            int calls = 10;
            for (int i = 0; i < calls; i++) {
                PodHandle.CallResult c = client.call(UNKNOWN);
                report.count(1, 1);
                assertThat(c.status()).as("unknown host, call %d: %s", i, c).isEqualTo(502);
            }
            await("the client's sidecar counts the refusals with flag NR").atMost(Duration.ofSeconds(30))
                    .until(() -> nrCount(client) - before >= calls + 1);
            PodHandle.CallResult known = client.call(API);
            report.count(1, known.status() == 200 ? 0 : 1);
            assertThat(known.status()).as("a ServiceEntry host still passes under REGISTRY_ONLY: %s", known).isEqualTo(200);
            report.value("refusedAfterMs", refused.millis()).value("nrCounted", nrCount(client) - before);
        } finally {
            EdgeConfig.delete(east(), "registry-only.yaml", Map.of());
        }
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    /** The JSON access-log lines of a proxy's process log. */
    private static List<String> accessLines(PodHandle pod) {
        try {
            return Files.readAllLines(pod.process().log()).stream().filter(l -> l.contains("\"response_code\":")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pod.process().log(), e);
        }
    }

    private static final Pattern NR_SERIES = Pattern.compile(
            "^istio_requests_total\\{([^}]*)\\}\\s+([0-9.eE+]+)", Pattern.MULTILINE);

    /** The sum of {@code istio_requests_total{response_flags="NR",response_code="502"}} of a pod's sidecar. */
    private static double nrCount(PodHandle pod) {
        String url = "http://" + pod.record().address() + ":" + WellKnownPorts.METRICS + "/stats/prometheus";
        try {
            String text = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            Matcher m = NR_SERIES.matcher(text);
            while (m.find()) {
                String labels = m.group(1);
                if (labels.contains("response_flags=\"NR\"") && labels.contains("response_code=\"502\"")
                        && labels.contains("destination_service=\"unknown.external.test\"")) {
                    sum += Double.parseDouble(m.group(2));
                }
            }
            return sum;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scrape " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
