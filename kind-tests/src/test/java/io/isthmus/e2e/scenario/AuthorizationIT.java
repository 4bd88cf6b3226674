package io.isthmus.e2e.scenario;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Probe;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authorization across clusters: an AuthorizationPolicy in west denying east's client principal
 * on {@code details} is enforced (403 through the gateway), while another east principal
 * (reviews' service account) is still allowed; removing the policy lets the client in again.
 */
@Order(6)
@ExtendWith(FederationExtension.class)
class AuthorizationIT {
    private static final String POLICY = """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: deny-east-client
              namespace: default
            spec:
              selector:
                matchLabels:
                  app: details
              action: DENY
              rules:
                - from:
                    - source:
                        principals: ["cluster.local/ns/default/sa/client"]
            """;
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void a_policy_in_west_denies_east_s_client_and_allows_another_principal() {
        ScenarioReport report = ScenarioReport.of("authorization");
        MeshPod client = fed.pod("east", "client");
        MeshPod reviews = fed.pod("east", "reviews");
        Probe.until(client, Mesh.DETAILS_URL, r -> "west".equals(r.field("cluster")), Duration.ofSeconds(90), report, "details from west");

        fed.cluster("west").applyConfig(POLICY);
        try {
            Probe.Timed denied = Probe.until(client, Mesh.DETAILS_URL, r -> r.status() == 403, Duration.ofSeconds(60), report,
                    "east's client denied by west's policy");
            PodHandle.CallResult other = reviews.call(Mesh.DETAILS_URL);
            report.count(1, other.status() == 200 ? 0 : 1);
            assertThat(other.status()).as("reviews' principal is not denied: %s", other).isEqualTo(200);
            assertThat(other.field("caller")).isEqualTo(MeshLabels.spiffeId("cluster.local", "default", "bookinfo-reviews"));
            report.value("deniedAfterMs", denied.millis());
        } finally {
            fed.cluster("west").deleteConfig(POLICY);
        }
        Probe.until(client, Mesh.DETAILS_URL, r -> r.status() == 200, Duration.ofSeconds(60), report, "client allowed again");
        report.outcome("passed").write(SharedFederation.reportDir());
    }
}
