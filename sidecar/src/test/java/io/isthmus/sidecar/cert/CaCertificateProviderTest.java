package io.isthmus.sidecar.cert;

import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.xds.ControlPlaneChannel;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.rotate.RotationPolicy;
import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CaCertificateProviderTest {
    static final SpiffeId REVIEWS = SpiffeId.of(TestPki.TRUST_DOMAIN, "default", "reviews");

    @TempDir
    Path dir;
    TestCa ca;
    CaCertificateProvider provider;

    @AfterEach
    void tearDown() throws Exception {
        if (provider != null) {
            provider.close();
        }
        if (ca != null) {
            ca.close();
        }
    }

    CertificateStore storeTrustingRoot(TestPki pki) {
        return new CertificateStore(TrustAnchors.fromPem(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(pki.rootCertificate())), "file:root-cert.pem"));
    }

    CaCertificateProvider provider(CertificateStore store, String token, String serverName, RotationPolicy policy) {
        CaClient client = new CaClient(ControlPlaneChannel.open(new HostPort("127.0.0.1", ca.port()),
                Optional.of(store), serverName), () -> token, Duration.ofSeconds(5));
        return new CaCertificateProvider(REVIEWS, client, Duration.ofHours(1), store, policy);
    }

    @Test
    void obtainsCertificateForItsIdentityOverTlsWithBearerTokenAndRotatesHot() throws Exception {
        TestPki pki = TestPki.create(dir);
        ca = new TestCa(pki, "east", Duration.ofHours(24));
        ca.tokens.put("t0k3n", REVIEWS);
        CertificateStore store = storeTrustingRoot(pki);
        List<WorkloadCertificate> seen = new CopyOnWriteArrayList<>();
        store.onCertificate(seen::add);

        provider = provider(store, "t0k3n", "isthmus-controller.isthmus-system.svc", RotationPolicy.defaults());
        provider.start().get(30, TimeUnit.SECONDS);

        WorkloadCertificate first = store.certificate().orElseThrow();
        assertThat(first.spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(first.key().getAlgorithm()).isEqualTo("EC");
        assertThat(first.chain()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(io.isthmus.trust.bundle.TrustBundle.of("cluster.local", store.trustAnchors().roots())
                .verifyOrThrow(first.chain()).toString()).isEqualTo(first.spiffeId());
        assertThat(first.keyPem()).contains("PRIVATE KEY");

        provider.rotateNow().get(30, TimeUnit.SECONDS);
        WorkloadCertificate second = store.certificate().orElseThrow();
        assertThat(second.leaf().getSerialNumber()).isNotEqualTo(first.leaf().getSerialNumber());
        assertThat(second.key()).isNotEqualTo(first.key());
        assertThat(seen).hasSize(2);
        assertThat(ca.signed.get()).isEqualTo(2);
    }

    @Test
    void aWrongTokenGetsNoCertificateAndIsRetried() throws Exception {
        TestPki pki = TestPki.create(dir);
        ca = new TestCa(pki, "east", Duration.ofHours(24));
        CertificateStore store = storeTrustingRoot(pki);
        provider = provider(store, "wrong", "isthmus-controller.isthmus-system.svc",
                new RotationPolicy(0.5, 0.0, Duration.ofMillis(50), Duration.ofMillis(200)));
        var first = provider.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> ca.refused.get() >= 2);
        assertThat(first).isNotDone();
        assertThat(store.certificate()).isEmpty();
        ca.tokens.put("wrong", REVIEWS);
        first.get(30, TimeUnit.SECONDS);
        assertThat(store.certificate()).isPresent();
    }

    @Test
    void aControllerWithTheWrongNameIsRefused() throws Exception {
        TestPki pki = TestPki.create(dir);
        ca = new TestCa(pki, "east", Duration.ofHours(24));
        ca.tokens.put("t", REVIEWS);
        CertificateStore store = storeTrustingRoot(pki);
        CaClient client = new CaClient(ControlPlaneChannel.open(new HostPort("127.0.0.1", ca.port()),
                Optional.of(new CertificateStore(TrustAnchors.fromPem(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(pki.foreignWorkload("x", "y")
                        .chain().get(pki.foreignWorkload("x", "y").chain().size() - 1))), "foreign"))),
                "isthmus-controller.isthmus-system.svc"), () -> "t", Duration.ofSeconds(5));
        try (client) {
            assertThatThrownBy(() -> client.sign("csr", Duration.ofHours(1)).toCompletableFuture().get(30, TimeUnit.SECONDS))
                    .hasMessageContaining("refused or failed");
        }
        assertThat(store.certificate()).isEmpty();
    }
}
