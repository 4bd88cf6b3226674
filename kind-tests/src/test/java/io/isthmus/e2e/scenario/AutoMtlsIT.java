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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
    private static final String POLICY = reviewsMtls("reviews-plaintext", "DISABLE");
    private static final String PERMISSIVE_REVIEWS = reviewsMtls("reviews-permissive", "PERMISSIVE");
    private static final int CALLS = 30;
    private static final int RATINGS_CALLS = 40;
    private static final String RATINGS_URL = "http://" + MeshLabels.serviceHostname("ratings", "default") + ":9080/ratings";
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
     * A service half-way into the mesh (ratings: in east one pod with a sidecar and one without, in west one without).
     * East's client reaches both east pods: the one with a sidecar over the mesh's mTLS (it reads the client's
     * identity), the one without in plaintext (it reads none); west's pod without a sidecar is never called, as no
     * east-west gateway routes plaintext. Not one call fails.
     */
    @Test
    void pods_without_a_sidecar_are_called_in_plaintext_and_only_within_their_network() {
        ScenarioReport report = ScenarioReport.of("auto-mtls-without-sidecar");
        MeshPod client = fed.pod("east", "client");
        Map<String, Set<String>> callersByVersion = new TreeMap<>();
        Map<String, String> clusterByVersion = new TreeMap<>();
        int failed = 0;
        for (int i = 0; i < RATINGS_CALLS; i++) {
            PodHandle.CallResult r = client.call(RATINGS_URL);
            if (r.status() != 200) {
                failed++;
                continue;
            }
            callersByVersion.computeIfAbsent(r.field("version"), v -> new TreeSet<>()).add(r.field("caller"));
            clusterByVersion.put(r.field("version") + "@" + r.field("cluster"), r.field("pod"));
        }
        report.count(RATINGS_CALLS, failed).outcome(failed == 0 ? "passed" : "failed").write(SharedFederation.reportDir());
        assertThat(failed).as("failed calls of %d; answered by %s", RATINGS_CALLS, clusterByVersion).isZero();
        assertThat(clusterByVersion.keySet()).as("only east's pods answer: the west pod has no sidecar, so no gateway routes to it")
                .containsExactly("v1@east", "v2@east");
        assertThat(callersByVersion).as("mTLS to the pod with a sidecar (v1), plaintext to the one without (v2)")
                .containsOnly(Map.entry("v1", Set.of(Mesh.CLIENT_ID)), Map.entry("v2", Set.of("")));
    }

    /**
     * The other half of moving a namespace into the mesh: a caller without a sidecar (east's ratings v2) calls a
     * reviews pod directly, in plaintext. Its sidecar refuses under the default (STRICT); a PeerAuthentication that
     * makes reviews PERMISSIVE lets the call in, with no caller identity; deleting it brings the refusal back.
     */
    @Test
    void a_caller_without_a_sidecar_is_refused_under_strict_and_answered_under_permissive() {
        MeshPod plainCaller = fed.cluster("east").pods("ratings").stream().filter(p -> !p.hasSidecar()).findFirst()
                .orElseThrow(() -> new AssertionError("east runs no ratings pod without a sidecar"));
        MeshPod reviews = fed.pod("east", "reviews");
        String direct = "http://" + reviews.address() + ":9080/reviews";
        PodHandle.CallResult strict = plainCaller.call(direct);
        assertThat(strict.status()).as("STRICT (the default): plaintext refused: %s", strict).isNotEqualTo(200);
        fed.cluster("east").applyConfig(PERMISSIVE_REVIEWS);
        try {
            AtomicReference<PodHandle.CallResult> last = new AtomicReference<>();
            await("reviews takes plaintext under PERMISSIVE").atMost(SETTLE).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        last.set(plainCaller.call(direct));
                        return last.get().status() == 200;
                    });
            assertThat(last.get().field("caller")).as("a plaintext caller has no identity: %s", last.get()).isEmpty();
            assertThat(last.get().field("pod")).isEqualTo(reviews.name());
        } finally {
            fed.cluster("east").deleteConfig(PERMISSIVE_REVIEWS);
        }
        await("STRICT again: plaintext refused").atMost(SETTLE).pollInterval(Duration.ofSeconds(1))
                .until(() -> plainCaller.call(direct).status() != 200);
    }

    /** A PeerAuthentication in {@code default} that puts the reviews workloads in {@code mode}. */
    private static String reviewsMtls(String name, String mode) {
        return """
                apiVersion: security.istio.io/v1
                kind: PeerAuthentication
                metadata: {name: %s, namespace: default}
                spec:
                  selector:
                    matchLabels: {app: reviews}
                  mtls: {mode: %s}
                """.formatted(name, mode);
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
