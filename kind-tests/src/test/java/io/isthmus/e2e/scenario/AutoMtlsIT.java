package io.isthmus.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.local.PodHandle;
import io.isthmus.e2e.support.ConfigDump;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Istio's auto mTLS: a PeerAuthentication in east puts every reviews workload in {@code DISABLE} (plaintext only).
 * East's client sidecar then calls reviews in plaintext, as the workloads accept, and only in east: west's pods sit
 * behind west's east-west gateway, which routes the mesh's mTLS by SNI and nothing else. Reviews reads no caller
 * identity. Deleting the policy brings the mesh's mTLS back, with the client's SPIFFE ID at reviews.
 */
@Order(14)
@ExtendWith(FederationExtension.class)
class AutoMtlsIT {
    private static final String POLICY = """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: reviews-plaintext, namespace: default}
            spec:
              selector:
                matchLabels: {app: reviews}
              mtls: {mode: DISABLE}
            """;
    private static final int CALLS = 30;
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static Federation fed;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
    }

    @Test
    void plaintext_only_workloads_are_called_in_plaintext_within_the_network_and_mtls_returns_with_the_policy_gone() {
        ScenarioReport report = ScenarioReport.of("auto-mtls");
        MeshPod client = fed.pod("east", "client");
        int failed = 0;
        fed.cluster("east").applyConfig(POLICY);
        try {
            settle(client, "east's client calls reviews in plaintext, answered in east", AutoMtlsIT::plaintextInEast);
            for (int i = 0; i < CALLS; i++) {
                PodHandle.CallResult r = client.call(Mesh.REVIEWS_URL);
                if (r.status() != 200) {
                    failed++;
                    continue;
                }
                assertThat(r.field("caller")).as("plaintext: reviews reads no identity: %s", r).isEmpty();
                assertThat(r.field("cluster")).as("plaintext stays in the client's network: %s", r).isEqualTo("east");
            }
        } finally {
            fed.cluster("east").deleteConfig(POLICY);
        }
        settle(client, "the mesh's mTLS is back: reviews reads the client's identity",
                r -> r.status() == 200 && Mesh.CLIENT_ID.equals(r.field("caller")));
        for (int i = 0; i < CALLS; i++) {
            PodHandle.CallResult r = client.call(Mesh.REVIEWS_URL);
            if (r.status() != 200) {
                failed++;
                continue;
            }
            assertThat(r.field("caller")).as("mTLS: reviews reads the client's identity: %s", r).isEqualTo(Mesh.CLIENT_ID);
        }
        report.count(2 * CALLS, failed).outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(failed).as("failed calls of %d", 2 * CALLS).isZero();
    }

    /**
     * Calls reviews until a call satisfies {@code done}; on a timeout fails naming the last call and the transport
     * socket of reviews' cluster in the client sidecar.
     */
    private static void settle(MeshPod client, String what, Predicate<PodHandle.CallResult> done) {
        AtomicReference<PodHandle.CallResult> last = new AtomicReference<>();
        try {
            await(what).atMost(SETTLE).pollInterval(Duration.ofSeconds(1)).until(() -> {
                PodHandle.CallResult r = client.call(Mesh.REVIEWS_URL);
                last.set(r);
                return done.test(r);
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(what + ": not within " + SETTLE + "; last call " + last.get()
                    + "; the client's reviews cluster: " + reviewsCluster(client), e);
        }
    }

    /** The client sidecar's reviews cluster (port 9080) as its {@code /config_dump} shows it, for a failure message. */
    private static String reviewsCluster(MeshPod client) {
        try {
            return ConfigDump.resource(client, "outbound|9080||" + MeshLabels.serviceHostname("reviews", "default"))
                    .map(Object::toString).orElse("(none)");
        } catch (RuntimeException e) {
            return "(config_dump unreadable: " + e + ")";
        }
    }

    private static boolean plaintextInEast(PodHandle.CallResult r) {
        return r.status() == 200 && r.field("caller").isEmpty() && "east".equals(r.field("cluster"));
    }
}
