package io.isthmus.e2e.scenario;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.e2e.demo.FreshCaller;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.local.EdgePki;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.net.Isolation;
import io.isthmus.e2e.support.EdgeConfig;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import io.isthmus.e2e.support.UsesTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traffic from outside the mesh through east's ingress gateway: a client on the outside network
 * (it reaches the gateway's address and nothing else) calls {@code https://bookinfo.example.test}
 * (SNI, SIMPLE TLS with the certificate of the Secret {@code bookinfo-credential}) and gets east's
 * {@code reviews}; {@code details.example.test} on the same port gets its own certificate; plain
 * HTTP gets 301 to HTTPS. Then, under load (a new TLS handshake per request), every east
 * {@code reviews} pod is killed: the gateway fails over to west through west's east-west gateway
 * with no failed request, and comes back to east when east's pods return.
 */
@Order(110)
@UsesTopology(SharedFederation.INGRESS_EGRESS)
@ExtendWith(FederationExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngressFailoverIT {
    static final String BOOKINFO = "https://bookinfo.example.test/reviews";
    static final String DETAILS = "https://details.example.test/details";
    static final String SECURE = "https://secure.example.test/reviews";
    /** One request every 50 ms, each on a new TLS connection: 20 handshakes a second. */
    static final Duration INTERVAL = Duration.ofMillis(50);
    private static final Duration ENDPOINT_DELAY = Duration.ofMillis(Long.getLong("isthmus.e2e.endpointDelayMs", 1000));
    private static LocalFederation fed;
    static EdgePki.Issued bookinfoCert;
    private static EdgePki.Issued detailsCert;

    @BeforeAll
    static void up(Federation federation) {
        fed = Targets.local(federation, Capability.EDGES);
        installIngress(fed);
    }

    /** Writes the credentials and the ingress Gateway and VirtualServices into east (once per federation). */
    static synchronized void installIngress(LocalFederation f) {
        if (bookinfoCert != null) {
            return;
        }
        KubernetesClient east = f.cluster("east").client();
        bookinfoCert = f.edges().ingressCa().issue("bookinfo.example.test");
        detailsCert = f.edges().ingressCa().issue("details.example.test");
        EdgeConfig.tlsSecret(east, "bookinfo-credential", bookinfoCert);
        EdgeConfig.tlsSecret(east, "details-credential", detailsCert);
        EdgeConfig.tlsSecret(east, "secure-credential", f.edges().ingressCa().issue("secure.example.test"),
                f.edges().clientCa().certPem());
        EdgeConfig.apply(east, "ingress.yaml", Map.of());
    }

    /** Fetches from the outside client until {@code done} holds; every call counted. */
    static PodHandle.Fetched until(PodHandle client, String url, Predicate<PodHandle.Fetched> done, ScenarioReport report,
                                   String what) {
        AtomicReference<PodHandle.Fetched> last = new AtomicReference<>();
        await(what).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).until(() -> {
            PodHandle.Fetched r = client.fetch(url);
            last.set(r);
            report.count(1, r.status() == 200 ? 0 : 1);
            return done.test(r);
        });
        return last.get();
    }

    @Test
    @Order(1)
    void outside_client_reaches_only_the_ingress_and_gets_each_host_s_certificate_and_a_redirect() {
        ScenarioReport report = ScenarioReport.of("ingress-tls-sni");
        PodHandle client = fed.edges().outsideClient();
        for (PodHandle p : fed.cluster("east").pods("reviews")) {
            assertThat(Isolation.unreachable(fed.edges().outsideClientNetns(), p.record().address()))
                    .as("the outside client has no route to pod %s", p).isTrue();
        }

        PodHandle.Fetched bookinfo = until(client, BOOKINFO, r -> r.status() == 200, report, "bookinfo through the ingress");
        assertThat(bookinfo.field("service")).isEqualTo("reviews");
        assertThat(bookinfo.field("cluster")).as("nearest reviews: east's").isEqualTo("east");
        assertThat(bookinfo.peer()).as("bookinfo.example.test's own certificate").isEqualTo(FreshCaller.fingerprint(bookinfoCert.cert()));

        PodHandle.Fetched details = until(client, DETAILS, r -> r.status() == 200, report, "details through the ingress");
        assertThat(details.field("service")).isEqualTo("details");
        assertThat(details.field("cluster")).as("details runs only in west").isEqualTo("west");
        assertThat(details.peer()).as("SNI picks details.example.test's certificate")
                .isEqualTo(FreshCaller.fingerprint(detailsCert.cert()));

        PodHandle.Fetched redirect = client.fetch("http://bookinfo.example.test/reviews?x=1");
        report.count(1, redirect.status() == 301 ? 0 : 1);
        assertThat(redirect.status()).as("plain HTTP: %s", redirect).isEqualTo(301);
        assertThat(redirect.location()).isEqualTo("https://bookinfo.example.test/reviews?x=1");

        report.value("bookinfoCert", bookinfo.peer().substring(0, 12)).value("detailsCert", details.peer().substring(0, 12))
                .value("redirect", redirect.status() + " " + redirect.location());
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(2)
    void a_mutual_host_serves_a_client_with_a_certificate_and_refuses_one_without() {
        ScenarioReport report = ScenarioReport.of("ingress-mutual-tls");
        PodHandle client = fed.edges().outsideClient();
        AtomicReference<PodHandle.Fetched> last = new AtomicReference<>();
        await("secure.example.test with a client certificate").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    PodHandle.Fetched r = client.fetch(SECURE, true);
                    last.set(r);
                    report.count(1, r.status() == 200 ? 0 : 1);
                    return r.status() == 200;
                });
        assertThat(last.get().field("service")).isEqualTo("reviews");
        PodHandle.Fetched without = client.fetch(SECURE, false);
        report.count(1, 1);
        assertThat(without.status()).as("no client certificate: the handshake (or the first read) fails: %s", without).isZero();
        assertThat(without.error()).isNotEmpty();
        PodHandle.Fetched again = client.fetch(SECURE, true);
        report.count(1, again.status() == 200 ? 0 : 1);
        assertThat(again.status()).as("with the certificate again: %s", again).isEqualTo(200);
        report.value("withoutCert", without.error().length() > 80 ? without.error().substring(0, 80) : without.error());
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(3)
    void the_app_behind_the_ingress_learns_the_client_address_and_scheme() {
        ScenarioReport report = ScenarioReport.of("ingress-forwarded");
        PodHandle client = fed.edges().outsideClient();
        PodHandle.Fetched r = until(client, BOOKINFO, x -> x.status() == 200, report, "bookinfo through the ingress");
        report.value("xff", r.field("xff")).value("xfp", r.field("xfp"));
        assertThat(r.field("xff")).as("X-Forwarded-For names the outside client: %s", r.body())
                .contains(io.isthmus.e2e.net.AddressPlan.OUTSIDE_CLIENT);
        assertThat(r.field("xfp")).as("X-Forwarded-Proto of a TLS chain").isEqualTo("https");
        report.outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    @Order(4)
    void east_loses_every_reviews_pod_and_the_ingress_serves_from_west_with_no_failed_request() {
        ScenarioReport report = ScenarioReport.of("ingress-failover");
        PodHandle client = fed.edges().outsideClient();
        until(client, BOOKINFO, r -> "east".equals(r.field("cluster")), report, "bookinfo served by east");

        client.startFreshLoad("ingress-failover", BOOKINFO, INTERVAL);
        await("steady load flowing").atMost(Duration.ofSeconds(60)).until(() -> client.loadStats("ingress-failover").ok() >= 50);
        List<PodHandle> eastReviews = fed.cluster("east").pods("reviews");
        assertThat(eastReviews).isNotEmpty();
        long killedAt = System.currentTimeMillis();
        for (PodHandle p : eastReviews) {
            fed.kill(p, ENDPOINT_DELAY);
        }
        await("ingress traffic settled on west").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            LoadReport r = client.loadStats("ingress-failover");
            return r.settledOn("west", killedAt).map(s -> r.since(s.startMillis()).size() >= 40).orElse(false);
        });

        long recoverAt = System.currentTimeMillis();
        fed.startPod("reviews", "east", "us-east-1a", "v1");
        fed.startPod("reviews", "east", "us-east-1b", "v2");
        long readyAt = System.currentTimeMillis();
        await("ingress traffic back on east").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            LoadReport r = client.loadStats("ingress-failover");
            return r.settledOn("east", readyAt).map(s -> r.since(s.startMillis()).size() >= 40).orElse(false);
        });
        LoadReport all = client.stopLoad("ingress-failover");

        // The run of west answers that lasted until east's pods came back.
        LoadReport failover = new LoadReport(0, 0, 0, Map.of(), all.between(killedAt, recoverAt));
        LoadReport.Sample settledWest = failover.settledOn("west", killedAt).orElseThrow();
        LoadReport.Sample firstWest = all.firstOkFrom("west", killedAt).orElse(settledWest);
        LoadReport.Sample backEast = all.firstOkFrom("east", readyAt).orElseThrow();
        report.count(all.sent(), all.failed())
                .value("failoverMs", settledWest.startMillis() - killedAt)
                .value("firstWestMs", firstWest.startMillis() - killedAt)
                .value("recoveryMs", backEast.startMillis() - readyAt)
                .value("podsRestartMs", readyAt - recoverAt)
                .value("byCluster", all.byCluster())
                .value("p99LatencyMs", p99(all) / 1000.0)
                .value("endpointDelayMs", ENDPOINT_DELAY.toMillis());
        report.outcome(all.failed() == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(all.failures()).as("failed requests through the ingress (status 0 = no response)").isEmpty();
    }

    static long p99(LoadReport r) {
        List<Long> l = r.samples().stream().map(LoadReport.Sample::latencyMicros).sorted().toList();
        return l.isEmpty() ? 0 : l.get((int) Math.min(l.size() - 1, Math.ceil(l.size() * 0.99) - 1));
    }
}
