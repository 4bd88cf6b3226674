package io.isthmus.sidecar.cert;

import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class CertDirProviderTest {
    @TempDir
    Path dir;

    @Test
    void loadsWatchesAndSwapsAndKeepsTheOldOneWhenFilesBreak() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path certs = dir.resolve("certs");
        Files.createDirectories(certs);
        pki.writeWorkloadDir("east", "default", "reviews", certs);

        try (CertDirProvider p = CertDirProvider.start(certs, Duration.ofMillis(50))) {
            CertificateStore store = p.store();
            WorkloadCertificate first = store.certificate().orElseThrow();
            assertThat(first.spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
            assertThat(store.trustAnchors().roots()).containsExactly(pki.rootCertificate());
            List<WorkloadCertificate> seen = new CopyOnWriteArrayList<>();
            store.onCertificate(seen::add);

            Files.writeString(certs.resolve(CertDirProvider.KEY), "garbage");
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(30))
                    .until(() -> store.certificate().orElseThrow() == first);

            pki.writeWorkloadDir("west", "default", "ratings", certs);
            await().atMost(Duration.ofSeconds(30)).until(() -> !seen.isEmpty());
            assertThat(store.certificate().orElseThrow().spiffeId()).isEqualTo("spiffe://cluster.local/ns/default/sa/ratings");
        }
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> CertDirProvider.start(dir, Duration.ofSeconds(1)))
                .isInstanceOf(CertificateException.class).hasMessageContaining("cert-chain.pem");
    }
}
