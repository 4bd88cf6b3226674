package io.isthmus.e2e.scenario;

import io.isthmus.e2e.demo.FreshCaller;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.local.EdgePki;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.EdgeConfig;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.e2e.support.Targets;
import io.isthmus.e2e.support.UsesTopology;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ingress certificate rotation under load: while the outside client calls
 * {@code https://bookinfo.example.test} with a new TLS handshake per request, the Secret
 * {@code bookinfo-credential} is replaced with a new certificate and key; the gateway takes it by
 * SDS with no restart, clients see the new certificate from some request on and only it after
 * that, and no request fails.
 */
@Order(111)
@UsesTopology(SharedFederation.INGRESS_EGRESS)
@ExtendWith(FederationExtension.class)
class IngressCertRotationIT {
    private static LocalFederation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = Targets.local(federation, Capability.EDGES);
        IngressFailoverIT.installIngress(fed);
    }

    @Test
    void a_secret_update_under_load_reaches_clients_with_no_failed_request() {
        ScenarioReport report = ScenarioReport.of("ingress-cert-rotation");
        PodHandle client = fed.edges().outsideClient();
        String oldPeer = FreshCaller.fingerprint(IngressFailoverIT.bookinfoCert.cert());
        IngressFailoverIT.until(client, IngressFailoverIT.BOOKINFO, r -> r.status() == 200 && oldPeer.equals(r.peer()), report,
                "bookinfo with its first certificate");

        client.startFreshLoad("rotation", IngressFailoverIT.BOOKINFO, IngressFailoverIT.INTERVAL);
        await("steady load flowing").atMost(Duration.ofSeconds(60)).until(() -> client.loadStats("rotation").ok() >= 40);
        EdgePki.Issued next = fed.edges().ingressCa().issue("bookinfo.example.test");
        String newPeer = FreshCaller.fingerprint(next.cert());
        long updatedAt = System.currentTimeMillis();
        EdgeConfig.tlsSecret(fed.cluster("east").client(), "bookinfo-credential", next);
        await("clients see the new certificate").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            List<LoadReport.Sample> since = client.loadStats("rotation").since(updatedAt);
            int run = 0;
            for (LoadReport.Sample s : since) {
                run = newPeer.equals(s.peer()) ? run + 1 : 0;
            }
            return run >= 40;
        });
        LoadReport all = client.stopLoad("rotation");
        IngressFailoverIT.bookinfoCert = next;

        LoadReport.Sample firstNew = all.samples().stream().filter(s -> newPeer.equals(s.peer())).findFirst().orElseThrow();
        List<LoadReport.Sample> after = all.since(firstNew.startMillis());
        long oldAfterNew = after.stream().filter(s -> oldPeer.equals(s.peer())).count();
        report.count(all.sent(), all.failed())
                .value("newCertAfterMs", firstNew.startMillis() - updatedAt)
                .value("oldCertAfterFirstNew", oldAfterNew)
                .value("withOldCert", all.samples().stream().filter(s -> oldPeer.equals(s.peer())).count())
                .value("withNewCert", all.samples().stream().filter(s -> newPeer.equals(s.peer())).count())
                .value("p99LatencyMs", IngressFailoverIT.p99(all) / 1000.0);
        report.outcome(all.failed() == 0 && oldAfterNew == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(all.failures()).as("failed requests during the rotation").isEmpty();
        assertThat(all.samples()).as("every answer came with one of the two certificates")
                .allMatch(s -> oldPeer.equals(s.peer()) || newPeer.equals(s.peer()));
        assertThat(oldAfterNew).as("handshakes with the old certificate after the first with the new one").isZero();
    }
}
