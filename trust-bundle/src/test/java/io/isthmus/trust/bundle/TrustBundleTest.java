package io.isthmus.trust.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.bundle.ChainVerification.Failure;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuancePolicy;
import io.isthmus.trust.testing.TestCertificates;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustBundleTest {
    static final SpiffeId SLEEP = SpiffeId.of("cluster.local", "default", "sleep");
    @TempDir
    static Path dir;
    static TestPki pki;
    static CertifiedKey eastSleep;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir);
        eastSleep = pki.workload("east", "default", "sleep");
    }

    @Test
    void acceptsAWorkloadFromEitherClusterAndReturnsItsId() {
        ChainVerification v = pki.bundle().verify(eastSleep.chain());
        assertThat(v.ok()).isTrue();
        assertThat(v.peer()).isEqualTo(SLEEP);
        assertThat(pki.bundle().verifyOrThrow(pki.workload("west", "default", "reviews").chain()))
                .isEqualTo(SpiffeId.of("cluster.local", "default", "reviews"));
        // without the root at the end of the chain, as many TLS stacks send it
        assertThat(pki.bundle().verify(eastSleep.chain().subList(0, 2)).ok()).isTrue();
    }

    @Test
    void expiredAndNotYetValid() {
        ChainVerification expired = pki.bundle().verify(eastSleep.chain(), Instant.now().plus(Duration.ofDays(2)));
        assertThat(expired.failure()).isEqualTo(Failure.EXPIRED);
        assertThat(expired.message()).contains("leaf").contains("expired at");
        ChainVerification early = pki.bundle().verify(eastSleep.chain(), Instant.now().minus(Duration.ofHours(1)));
        assertThat(early.failure()).isEqualTo(Failure.NOT_YET_VALID);
        ChainVerification rootGone = pki.bundle().verify(eastSleep.chain(), Instant.now().plus(Duration.ofDays(4000)));
        assertThat(rootGone.failure()).isEqualTo(Failure.EXPIRED);
    }

    @Test
    void aChainFromAnotherRootIsUnknown() {
        ChainVerification v = pki.bundle().verify(pki.foreignWorkload("default", "sleep").chain());
        assertThat(v.failure()).isEqualTo(Failure.UNKNOWN_ISSUER);
        assertThat(v.message()).contains("no root of the bundle issued")
                .contains("the bundle has a root of that name, but another key signed this chain");
        ChainVerification leafOnly = pki.bundle().verify(List.of(eastSleep.certificate()));
        assertThat(leafOnly.failure()).isEqualTo(Failure.UNKNOWN_ISSUER);
        assertThat(leafOnly.message()).contains("are its intermediates missing?");
        CertifiedKey otherName = CaFactory.createRoot(CaSpec.root().withCommonName("Other Root"));
        ChainVerification named = TrustBundle.of("cluster.local", List.of(otherName.certificate()))
                .verify(eastSleep.chain());
        assertThat(named.message()).endsWith(": not a root of the bundle)");
        assertThatThrownBy(() -> pki.bundle().verifyOrThrow(pki.foreignWorkload("default", "sleep").chain()))
                .isInstanceOf(ChainRejectedException.class).hasMessageStartingWith("UNKNOWN_ISSUER");
    }

    @Test
    void rootRotationAcceptsBothRootsThenOnlyTheNewOne() {
        CertifiedKey newRoot = CaFactory.createRoot(CaSpec.root());
        CertifiedKey newEast = CaFactory.createIntermediate(newRoot, CaSpec.intermediate("east"));
        CertificateAuthority newCa = CertificateAuthority.of(newEast, List.of(newRoot.certificate()),
                IssuancePolicy.defaults("cluster.local"), Clock.systemUTC());
        CertifiedKey fresh = newCa.issueWorkloadKey(SLEEP, null);

        TrustBundle old = pki.bundle();
        TrustBundle both = old.withRoot(newRoot.certificate());
        TrustBundle onlyNew = both.withoutRoot(pki.rootCertificate());
        assertThat(both.roots()).hasSize(2);
        assertThat(old.verify(fresh.chain()).failure()).isEqualTo(Failure.UNKNOWN_ISSUER);
        assertThat(both.verify(eastSleep.chain()).peer()).isEqualTo(SLEEP);
        assertThat(both.verify(fresh.chain()).peer()).isEqualTo(SLEEP);
        assertThat(onlyNew.verify(fresh.chain()).ok()).isTrue();
        assertThat(onlyNew.verify(eastSleep.chain()).failure()).isEqualTo(Failure.UNKNOWN_ISSUER);
        assertThat(TrustBundle.fromPem("cluster.local", both.toPem())).isEqualTo(both);
        assertThatThrownBy(() -> TrustBundle.of("cluster.local", List.of())).hasMessageContaining("at least one root");
    }

    @Test
    void wrongTrustDomainUnlessAliased() {
        CertifiedKey eastCa = CaFactory.createIntermediate(pki.root(), CaSpec.intermediate("other"));
        CertificateAuthority otherTd = CertificateAuthority.of(eastCa, List.of(pki.rootCertificate()),
                IssuancePolicy.defaults("old.example"), Clock.systemUTC());
        CertifiedKey legacy = otherTd.issueWorkloadKey(SpiffeId.of("old.example", "default", "sleep"), null);
        ChainVerification v = pki.bundle().verify(legacy.chain());
        assertThat(v.failure()).isEqualTo(Failure.WRONG_TRUST_DOMAIN);
        assertThat(v.message()).contains("old.example").contains("cluster.local");
        assertThat(pki.bundle().withAliases(Set.of("old.example")).verify(legacy.chain()).peer())
                .isEqualTo(SpiffeId.of("old.example", "default", "sleep"));
    }

    @Test
    void pathLengthExceeded() {
        CertifiedKey eastCa = CaFactory.createIntermediate(pki.root(), CaSpec.intermediate("east"));
        CertifiedKey sub = TestCertificates.subCa(eastCa, "Sub CA");
        CertifiedKey leaf = TestCertificates.leaf(sub, List.of(TestCertificates.uri(SLEEP.toString())));
        ChainVerification v = pki.bundle().verify(leaf.chain());
        assertThat(v.failure()).isEqualTo(Failure.PATH_LENGTH_EXCEEDED);
    }

    @Test
    void notASpiffeCertificate() {
        CertifiedKey eastCa = CaFactory.createIntermediate(pki.root(), CaSpec.intermediate("east"));
        CertifiedKey noUri = TestCertificates.leaf(eastCa, List.of(TestCertificates.dns("reviews.default.svc")));
        assertThat(pki.bundle().verify(noUri.chain()).failure()).isEqualTo(Failure.NOT_SPIFFE);
        assertThat(pki.bundle().verify(noUri.chain()).message()).contains("no URI SAN");
        CertifiedKey twoUris = TestCertificates.leaf(eastCa, List.of(TestCertificates.uri(SLEEP.toString()),
                TestCertificates.uri("spiffe://cluster.local/ns/default/sa/admin")));
        assertThat(pki.bundle().verify(twoUris.chain()).message()).contains("2 URI SANs");
        CertifiedKey badUri = TestCertificates.leaf(eastCa, List.of(TestCertificates.uri("https://reviews")));
        assertThat(pki.bundle().verify(badUri.chain()).failure()).isEqualTo(Failure.NOT_SPIFFE);
        // a CA presented as a leaf
        assertThat(pki.bundle().verify(eastCa.chain()).failure()).isEqualTo(Failure.NOT_SPIFFE);
        assertThat(pki.bundle().verify(List.of(pki.rootCertificate())).failure()).isEqualTo(Failure.NOT_SPIFFE);
    }

    @Test
    void emptyOrTamperedChains() {
        assertThat(pki.bundle().verify(List.of()).failure()).isEqualTo(Failure.INVALID_CHAIN);
        // leaf of east presented with west's intermediate: the signature does not verify
        List<X509Certificate> mixed = List.of(eastSleep.certificate(),
                pki.authority("west").caCertificate(), pki.rootCertificate());
        ChainVerification v = pki.bundle().verify(mixed);
        assertThat(v.ok()).isFalse();
        assertThat(v.failure()).isIn(Failure.INVALID_CHAIN, Failure.UNKNOWN_ISSUER);
    }

    @Test
    void bundleRootsMustBeCas() {
        assertThatThrownBy(() -> TrustBundle.of("cluster.local", List.of(eastSleep.certificate())))
                .isInstanceOf(TrustException.class).hasMessageContaining("is not a CA certificate");
    }
}
