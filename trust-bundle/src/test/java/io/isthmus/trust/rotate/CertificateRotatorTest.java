package io.isthmus.trust.rotate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateRotatorTest {
    static final SpiffeId SLEEP = SpiffeId.of("cluster.local", "default", "sleep");
    @TempDir
    static Path dir;
    static CertificateAuthority ca;

    @BeforeAll
    static void pki() {
        ca = TestPki.create(dir).authority("east");
    }

    /** The signer the sidecar would call over gRPC: here the CA in-process, asynchronously. */
    static CompletableFuture<List<X509Certificate>> sign(String csrPem, Duration ttl) {
        return CompletableFuture.supplyAsync(() -> ca.issueWorkload(csrPem, SLEEP, ttl));
    }

    @Test
    void renewalIsDueAtTheConfiguredFractionOfTheLifetime() {
        CertifiedKey k = ca.issueWorkloadKey(SLEEP, Duration.ofHours(24));
        Instant half = CertificateRotator.renewalTime(k, 0.5, 0);
        assertThat(Duration.between(k.notBefore(), half)).isEqualTo(k.lifetime().dividedBy(2));
        Instant late = CertificateRotator.renewalTime(k, 0.8, 0.05);
        assertThat(Duration.between(k.notBefore(), late).toMillis()).isEqualTo((long) (k.lifetime().toMillis() * 0.85));
    }

    @Test
    void firstCertificateThenScheduledRenewalWithJitterWithinBounds() throws Exception {
        try (CertificateRotator r = CertificateRotator.forCsr(SLEEP, csr -> sign(csr, Duration.ofHours(24)))
                .random(new Random(7)).build()) {
            CertifiedKey first = r.start().get(30, TimeUnit.SECONDS);
            assertThat(first.spiffeId()).contains(SLEEP);
            await().atMost(Duration.ofSeconds(30)).until(() -> r.nextRenewal().isPresent());
            Duration after = Duration.between(first.notBefore(), r.nextRenewal().get());
            Duration life = first.lifetime();
            assertThat(after).isBetween(life.multipliedBy(45).dividedBy(100), life.multipliedBy(55).dividedBy(100));
        }
    }

    @Test
    void shortLivedCertificatesAreRenewedAndListenersSeeEachNewKey() {
        List<CertifiedKey> seen = new CopyOnWriteArrayList<>();
        try (CertificateRotator r = CertificateRotator.forCsr(SLEEP, csr -> sign(csr, Duration.ofSeconds(2)))
                .policy(RotationPolicy.defaults().withJitter(0)).build()) {
            r.addListener(seen::add);
            r.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 3);
            assertThat(seen.get(1).privateKey()).isNotEqualTo(seen.get(0).privateKey());
            assertThat(seen.get(1).certificate().getSerialNumber()).isNotEqualTo(seen.get(0).certificate().getSerialNumber());
            assertThat(r.current()).isPresent();
        }
    }

    @Test
    void failuresAreRetriedWithBackoffAndNeverStopTheLoop() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<CertifiedKey> seen = new CopyOnWriteArrayList<>();
        try (CertificateRotator r = CertificateRotator.builder(() -> {
            int n = calls.incrementAndGet();
            if (n == 1) {
                throw new IllegalStateException("CA unreachable (thrown)");
            }
            if (n == 2) {
                return CompletableFuture.failedFuture(new IllegalStateException("CA unreachable (failed future)"));
            }
            return CompletableFuture.completedFuture(ca.issueWorkloadKey(SLEEP, Duration.ofSeconds(2)));
        }).policy(RotationPolicy.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(100))).build()) {
            r.addListener(k -> {
                throw new RuntimeException("a broken listener");
            });
            AtomicInteger callsForFirst = new AtomicInteger();
            r.addListener(k -> {
                callsForFirst.compareAndSet(0, calls.get());
                seen.add(k);
            });
            CertifiedKey first = r.start().get(30, TimeUnit.SECONDS);
            assertThat(callsForFirst.get()).isEqualTo(3);
            // the 2 s certificate's renewal (due 1 s later) may already have been seen by a slow test thread
            assertThat(seen).first().isSameAs(first);
            assertThat(seen).doesNotHaveDuplicates();
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() >= 2);
        }
    }

    @Test
    void rotateNowRenewsImmediately() throws Exception {
        try (CertificateRotator r = CertificateRotator.forCsr(SLEEP, csr -> sign(csr, Duration.ofHours(1))).build()) {
            CertifiedKey first = r.start().get(30, TimeUnit.SECONDS);
            CertifiedKey second = r.rotateNow().get(30, TimeUnit.SECONDS);
            assertThat(second).isNotEqualTo(first);
            await().atMost(Duration.ofSeconds(30)).until(() -> r.current().orElseThrow().equals(second));
        }
    }

    @Test
    void startsFromAnExistingCertificate() throws Exception {
        CertifiedKey existing = ca.issueWorkloadKey(SLEEP, Duration.ofHours(1));
        try (CertificateRotator r = CertificateRotator.forCsr(SLEEP, csr -> sign(csr, Duration.ofHours(1))).build()) {
            assertThat(r.start(existing).get(30, TimeUnit.SECONDS)).isSameAs(existing);
        }
    }

    @Test
    void policyRejectsNonsense() {
        assertThatThrownBy(() -> RotationPolicy.defaults().withRenewAt(1.5)).hasMessageContaining("renewAt");
        assertThatThrownBy(() -> RotationPolicy.defaults().withJitter(0.6)).hasMessageContaining("jitter");
        assertThatThrownBy(() -> RotationPolicy.defaults().withBackoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("backoff");
    }
}
