package io.isthmus.trust.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.TrustBundle;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuancePolicy;
import io.isthmus.trust.testing.MutableClock;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpiffeTrustManagerTest {
    static final SpiffeId SLEEP = SpiffeId.of("cluster.local", "default", "sleep");
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir);
    }

    static X509Certificate[] array(CertifiedKey k) {
        return k.chain().toArray(X509Certificate[]::new);
    }

    @Test
    void aNewRootInTheLiveBundleIsTrustedOnTheNextHandshake() {
        CertifiedKey newRoot = CaFactory.createRoot(CaSpec.root());
        CertificateAuthority newCa = CertificateAuthority.of(CaFactory.createIntermediate(newRoot, CaSpec.intermediate("east")),
                List.of(newRoot.certificate()), IssuancePolicy.defaults("cluster.local"), Clock.systemUTC());
        CertifiedKey fresh = newCa.issueWorkloadKey(SLEEP, null);
        AtomicReference<TrustBundle> live = new AtomicReference<>(pki.bundle());
        SpiffeTrustManager tm = SpiffeTrustManager.of(live::get);
        assertThatThrownBy(() -> tm.checkClientTrusted(array(fresh), "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class)
                .hasMessageContaining("client certificate refused: UNKNOWN_ISSUER");
        live.set(live.get().withRoot(newRoot.certificate()));
        assertThatCode(() -> tm.checkClientTrusted(array(fresh), "ECDHE_ECDSA")).doesNotThrowAnyException();
        assertThatCode(() -> tm.checkServerTrusted(array(pki.workload("west", "default", "reviews")), "ECDHE_ECDSA"))
                .doesNotThrowAnyException();
        assertThat(tm.getAcceptedIssuers()).isEmpty();
    }

    @Test
    void allowedPeersAndClock() {
        SpiffeTrustManager onlyReviews = SpiffeTrustManager.allowing(pki::bundle,
                Set.of(SpiffeId.of("cluster.local", "default", "reviews")));
        assertThatThrownBy(() -> onlyReviews.checkServerTrusted(array(pki.workload("west", "default", "ratings")), "EC"))
                .hasMessageContaining("spiffe://cluster.local/ns/default/sa/ratings is not among the allowed peers");
        MutableClock clock = MutableClock.atNow();
        SpiffeTrustManager timed = SpiffeTrustManager.of(pki::bundle, id -> true, clock);
        CertifiedKey w = pki.workload("east", "default", "sleep");
        assertThatCode(() -> timed.checkClientTrusted(array(w), "EC")).doesNotThrowAnyException();
        clock.advance(Duration.ofDays(2));
        assertThatThrownBy(() -> timed.checkClientTrusted(array(w), "EC")).hasMessageContaining("EXPIRED");
        assertThatThrownBy(() -> SpiffeTrustManager.of(() -> null).checkClientTrusted(array(w), "EC"))
                .hasMessageContaining("no trust bundle yet");
    }

    @Test
    void factoriesHandOutTheManagers() throws Exception {
        SwappableKeyManager km = new SwappableKeyManager(pki.workload("east", "default", "sleep"));
        KeyManagerFactory kmf = TlsFactories.keyManagerFactory(km);
        kmf.init(null, null);
        assertThat(kmf.getKeyManagers()).containsExactly(km);
        SpiffeTrustManager tm = SpiffeTrustManager.of(pki.bundle());
        TrustManagerFactory tmf = TlsFactories.trustManagerFactory(tm);
        tmf.init((java.security.KeyStore) null);
        assertThat(tmf.getTrustManagers()).containsExactly(tm);
        assertThat(km.chooseServerAlias("EC", null, null)).isEqualTo(SwappableKeyManager.ALIAS);
        assertThat(km.chooseServerAlias("RSA", null, null)).isNull();
        assertThat(km.chooseClientAlias(new String[] {"RSA", "EC"}, null, null)).isEqualTo(SwappableKeyManager.ALIAS);
        assertThat(km.getCertificateChain("other")).isNull();
    }

    @Test
    void anEmptyKeyManagerOffersNothingUntilItIsSet() {
        SwappableKeyManager km = new SwappableKeyManager();
        assertThat(km.current()).isNull();
        assertThat(km.chooseServerAlias("EC", null, null)).isNull();
        assertThat(km.chooseEngineClientAlias(new String[] {"EC"}, null, null)).isNull();
        assertThat(km.getClientAliases("EC", null)).isNull();
        assertThat(km.getCertificateChain(SwappableKeyManager.ALIAS)).isNull();
        assertThat(km.getPrivateKey(SwappableKeyManager.ALIAS)).isNull();
        var key = pki.workload("east", "default", "sleep");
        km.set(key);
        assertThat(km.chooseEngineServerAlias("EC", null, null)).isEqualTo(SwappableKeyManager.ALIAS);
        assertThat(km.getCertificateChain(SwappableKeyManager.ALIAS)).containsExactlyElementsOf(key.chain());
        assertThat(km.getPrivateKey(SwappableKeyManager.ALIAS)).isEqualTo(key.privateKey());
    }
}
