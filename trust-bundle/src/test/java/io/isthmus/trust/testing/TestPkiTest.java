package io.isthmus.trust.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.bundle.ChainVerification;
import io.isthmus.trust.ca.CertificateAuthority;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestPkiTest {
    @TempDir
    Path dir;

    @Test
    void buildsAMeshWhoseWorkloadsVerifyAcrossClusters() {
        TestPki pki = TestPki.create(dir);
        CertifiedKey east = pki.workload("east", "default", "sleep");
        CertifiedKey west = pki.workload("west", "default", "reviews");
        assertThat(pki.bundle().verify(east.chain()).peer()).isEqualTo(SpiffeId.of("cluster.local", "default", "sleep"));
        assertThat(pki.bundle().verify(west.chain()).ok()).isTrue();
        assertThat(east.chain()).hasSize(3);
        assertThat(pki.bundle().verify(pki.foreignWorkload("default", "sleep").chain()).failure())
                .isEqualTo(ChainVerification.Failure.UNKNOWN_ISSUER);
        CertificateAuthority loaded = CertificateAuthority.load(pki.cacertsDir("west"), "cluster.local");
        assertThat(loaded.caCertificate()).isEqualTo(pki.authority("west").caCertificate());
        assertThat(Files.exists(pki.cacertsDir("east").resolve("cert-chain.pem"))).isTrue();
    }
}
