package io.isthmus.trust.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.Certificates;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Csr;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.ca.IssuanceRefusedException.Refusal;
import io.isthmus.trust.testing.MutableClock;
import io.isthmus.trust.testing.TestCertificates;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateAuthorityTest {
    static final SpiffeId SLEEP = SpiffeId.of("cluster.local", "default", "sleep");
    static CertifiedKey root;
    static CertifiedKey east;
    static MutableClock clock;
    static CertificateAuthority ca;

    @BeforeAll
    static void pki() {
        root = CaFactory.createRoot(CaSpec.root());
        east = CaFactory.createIntermediate(root, CaSpec.intermediate("east"));
        clock = MutableClock.atNow();
        ca = CertificateAuthority.of(east, List.of(root.certificate()), IssuancePolicy.defaults("cluster.local"), clock);
    }

    private static Refusal refusal(Runnable r) {
        try {
            r.run();
        } catch (IssuanceRefusedException e) {
            return e.refusal();
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void issuesAnSvidWithEveryRequiredProperty() throws Exception {
        Csr.KeyAndCsr k = Csr.generate(SLEEP);
        List<X509Certificate> chain = ca.issueWorkload(k.pem(), SLEEP, null);
        X509Certificate leaf = chain.get(0);
        assertThat(chain).containsExactly(leaf, east.certificate(), root.certificate());
        leaf.verify(east.certificate().getPublicKey());
        assertThat(Certificates.uriSans(leaf)).containsExactly(SLEEP.toString());
        assertThat(Certificates.describeSans(leaf)).hasSize(1);
        assertThat(leaf.getSubjectX500Principal().getName()).isEmpty();
        assertThat(leaf.getCriticalExtensionOIDs()).contains("2.5.29.17", "2.5.29.19", "2.5.29.15");
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        boolean[] ku = leaf.getKeyUsage();
        assertThat(ku[0]).as("digitalSignature").isTrue();
        assertThat(ku[2]).as("keyEncipherment for EC").isFalse();
        assertThat(ku[5]).as("keyCertSign").isFalse();
        assertThat(leaf.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(leaf.getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
        assertThat(leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId())).isNotNull();
        // default TTL 24 h, notBefore backdated by the skew allowance
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(clock.instant().plus(Duration.ofHours(24)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(leaf.getNotBefore().toInstant())
                .isEqualTo(clock.instant().minus(IssuancePolicy.DEFAULT_BACKDATE).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        assertThat(k.complete(chain).spiffeId()).contains(SLEEP);
    }

    @Test
    void serialsAreRandom128Bit() {
        Set<java.math.BigInteger> serials = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            X509Certificate leaf = ca.issueWorkloadKey(SLEEP, null).certificate();
            assertThat(leaf.getSerialNumber().signum()).isPositive();
            assertThat(leaf.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
            serials.add(leaf.getSerialNumber());
        }
        assertThat(serials).hasSize(20);
        assertThat(serials.stream().mapToInt(java.math.BigInteger::bitLength).max().getAsInt()).isGreaterThan(120);
    }

    @Test
    void ttlIsCappedByTheMaximumAndByTheCaLifetime() {
        X509Certificate capped = ca.issueWorkloadKey(SLEEP, Duration.ofDays(30)).certificate();
        assertThat(Duration.between(clock.instant(), capped.getNotAfter().toInstant()))
                .isBetween(Duration.ofDays(7).minusSeconds(1), Duration.ofDays(7));
        X509Certificate shortOne = ca.issueWorkloadKey(SLEEP, Duration.ofMinutes(10)).certificate();
        assertThat(Duration.between(clock.instant(), shortOne.getNotAfter().toInstant()))
                .isBetween(Duration.ofMinutes(10).minusSeconds(1), Duration.ofMinutes(10));
        CertificateAuthority generous = CertificateAuthority.of(east, List.of(root.certificate()),
                IssuancePolicy.defaults("cluster.local").withMaxTtl(Duration.ofDays(100_000)), clock);
        X509Certificate longest = generous.issueWorkloadKey(SLEEP, Duration.ofDays(99_999)).certificate();
        assertThat(longest.getNotAfter()).isEqualTo(east.certificate().getNotAfter());
        assertThat(refusal(() -> ca.issueWorkloadKey(SLEEP, Duration.ofHours(-1)))).isEqualTo(Refusal.INVALID_TTL);
    }

    @Test
    void rsaWorkloadsAlsoGetKeyEncipherment() {
        Csr.KeyAndCsr k = Csr.generate(SLEEP, KeyAlgorithm.RSA_3072);
        X509Certificate leaf = ca.issueWorkload(k.csr(), SLEEP, null).get(0);
        assertThat(leaf.getKeyUsage()[0]).isTrue();
        assertThat(leaf.getKeyUsage()[2]).isTrue();
    }

    @Test
    void refusesACsrWithABadSignature() throws Exception {
        byte[] der = Csr.generate(SLEEP).csr().getEncoded().clone();
        der[der.length - 5] ^= 0x55; // inside the signature
        PKCS10CertificationRequest tampered;
        try {
            tampered = new PKCS10CertificationRequest(der);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertThat(refusal(() -> ca.issueWorkload(tampered, SLEEP, null))).isEqualTo(Refusal.BAD_CSR_SIGNATURE);
        // a CSR signed by another key than the one it carries
        KeyPair a = KeyAlgorithm.EC_P256.generate();
        KeyPair b = KeyAlgorithm.EC_P256.generate();
        PKCS10CertificationRequest mixed = Csr.build(new KeyPair(a.getPublic(), b.getPrivate()),
                List.of(TestCertificates.uri(SLEEP.toString())), null);
        assertThatThrownBy(() -> ca.issueWorkload(mixed, SLEEP, null))
                .isInstanceOf(IssuanceRefusedException.class)
                .hasMessageContaining("BAD_CSR_SIGNATURE: CSR signature does not verify");
    }

    @Test
    void refusesACsrAskingForACa() throws Exception {
        ExtensionsGenerator caBit = new ExtensionsGenerator();
        caBit.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        PKCS10CertificationRequest csr = Csr.build(KeyAlgorithm.EC_P256.generate(),
                List.of(TestCertificates.uri(SLEEP.toString())), caBit);
        assertThat(refusal(() -> ca.issueWorkload(csr, SLEEP, null))).isEqualTo(Refusal.CA_REQUESTED);
        ExtensionsGenerator certSign = new ExtensionsGenerator();
        certSign.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
        PKCS10CertificationRequest csr2 = Csr.build(KeyAlgorithm.EC_P256.generate(),
                List.of(TestCertificates.uri(SLEEP.toString())), certSign);
        assertThat(refusal(() -> ca.issueWorkload(csr2, SLEEP, null))).isEqualTo(Refusal.CA_REQUESTED);
    }

    @Test
    void refusesASecondSanOrAnyOtherSanOrNone() {
        KeyPair kp = KeyAlgorithm.EC_P256.generate();
        PKCS10CertificationRequest two = Csr.build(kp, List.of(TestCertificates.uri(SLEEP.toString()),
                TestCertificates.uri("spiffe://cluster.local/ns/default/sa/admin")), null);
        assertThatThrownBy(() -> ca.issueWorkload(two, SLEEP, null)).hasMessageContaining("EXTRA_SAN")
                .hasMessageContaining("2 URI SANs");
        PKCS10CertificationRequest dns = Csr.build(kp, List.of(TestCertificates.uri(SLEEP.toString()),
                TestCertificates.dns("evil.example.com")), null);
        assertThatThrownBy(() -> ca.issueWorkload(dns, SLEEP, null)).hasMessageContaining("EXTRA_SAN")
                .hasMessageContaining("DNS:evil.example.com");
        PKCS10CertificationRequest none = Csr.build(kp, List.of(), null);
        assertThat(refusal(() -> ca.issueWorkload(none, SLEEP, null))).isEqualTo(Refusal.MISSING_SPIFFE_ID);
        PKCS10CertificationRequest bad = Csr.build(kp, List.of(TestCertificates.uri("spiffe://cluster.local/ns/../sa/x")), null);
        assertThat(refusal(() -> ca.issueWorkload(bad, SLEEP, null))).isEqualTo(Refusal.INVALID_SPIFFE_ID);
    }

    @Test
    void refusesAnotherIdentityThanTheAuthenticatedOne() {
        Csr.KeyAndCsr k = Csr.generate(SpiffeId.of("cluster.local", "default", "admin"));
        assertThatThrownBy(() -> ca.issueWorkload(k.pem(), SLEEP, null))
                .isInstanceOf(IssuanceRefusedException.class)
                .hasMessageContaining("IDENTITY_MISMATCH")
                .hasMessageContaining("spiffe://cluster.local/ns/default/sa/admin")
                .hasMessageContaining("authenticated as spiffe://cluster.local/ns/default/sa/sleep");
    }

    @Test
    void refusesAnotherTrustDomain() {
        SpiffeId foreign = SpiffeId.of("example.org", "default", "sleep");
        Csr.KeyAndCsr k = Csr.generate(foreign);
        assertThat(refusal(() -> ca.issueWorkload(k.csr(), foreign, null))).isEqualTo(Refusal.WRONG_TRUST_DOMAIN);
        assertThat(refusal(() -> ca.issueWorkload(k.csr(), SLEEP, null))).isEqualTo(Refusal.WRONG_TRUST_DOMAIN);
    }

    @Test
    void refusesMalformedCsrPem() {
        assertThat(refusal(() -> ca.issueWorkload("garbage", SLEEP, null))).isEqualTo(Refusal.MALFORMED_CSR);
    }

    @Test
    void anExpiredCaRefusesToIssueAndCannotBeLoaded() {
        MutableClock c = MutableClock.atNow();
        CertifiedKey shortRoot = CaFactory.createRoot(CaSpec.root().withValidity(Duration.ofDays(2)), c);
        CertifiedKey shortCa = CaFactory.createIntermediate(shortRoot, CaSpec.intermediate("east"), c);
        CertificateAuthority authority = CertificateAuthority.of(shortCa, List.of(shortRoot.certificate()),
                IssuancePolicy.defaults("cluster.local"), c);
        authority.issueWorkloadKey(SLEEP, null);
        c.advance(Duration.ofDays(3));
        assertThatThrownBy(() -> authority.issueWorkloadKey(SLEEP, null))
                .isInstanceOf(IssuanceRefusedException.class)
                .hasMessageContaining("CA_NOT_VALID").hasMessageContaining("expired at");
        assertThatThrownBy(() -> CertificateAuthority.of(shortCa, List.of(shortRoot.certificate()),
                IssuancePolicy.defaults("cluster.local"), c))
                .isInstanceOf(TrustException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> CaFactory.createIntermediate(shortRoot, CaSpec.intermediate("west"), c))
                .hasMessageContaining("expired");
    }

    @Test
    void aRootCanSignDirectlyAsInIstiosSelfSignedMode() {
        CertificateAuthority self = CertificateAuthority.of(root, List.of(root.certificate()),
                IssuancePolicy.defaults("cluster.local"), Clock.systemUTC());
        CertifiedKey w = self.issueWorkloadKey(SLEEP, null);
        assertThat(w.chain()).containsExactly(w.certificate(), root.certificate());
        assertThat(self.trustBundle().verify(w.chain()).peer()).isEqualTo(SLEEP);
    }

    @Test
    void aLeafCannotBeACa() {
        CertifiedKey leaf = ca.issueWorkloadKey(SLEEP, null);
        assertThatThrownBy(() -> CertificateAuthority.of(leaf, List.of(root.certificate()),
                IssuancePolicy.defaults("cluster.local"), Clock.systemUTC()))
                .hasMessageContaining("cannot sign certificates");
    }

    @Test
    void issuesTheControllersServingCertificateWithDnsAndUriSans() {
        SpiffeId controller = SpiffeId.of("cluster.local", "isthmus-system", "isthmus-controller");
        CertifiedKey server = ca.issueServer(controller,
                List.of("isthmus-controller.isthmus-system.svc", "localhost", "127.0.0.1"), null);
        X509Certificate c = server.certificate();
        assertThat(Certificates.uriSans(c)).containsExactly(controller.toString());
        assertThat(Certificates.dnsSans(c)).containsExactly("isthmus-controller.isthmus-system.svc", "localhost");
        assertThat(Certificates.ipSans(c)).containsExactly("127.0.0.1");
        assertThat(server.spiffeId()).contains(controller);
        assertThat(ca.trustBundle().verify(server.chain()).peer()).isEqualTo(controller);
        assertThat(server.chain()).hasSize(3);
    }

    @Test
    void policyValidatesItsValues() {
        assertThatThrownBy(() -> new IssuancePolicy("cluster.local", Duration.ofHours(2), Duration.ofHours(1),
                Duration.ZERO)).hasMessageContaining("maxTtl");
        assertThatThrownBy(() -> IssuancePolicy.defaults("Bad Domain")).isInstanceOf(TrustException.class);
        assertThat(IssuancePolicy.defaults("cluster.local").grantedTtl(Duration.ZERO)).isEqualTo(Duration.ofHours(24));
        assertThat(ca.trustDomain()).isEqualTo("cluster.local");
        assertThat(Instant.now()).isNotNull();
    }
}
