package io.isthmus.trust.pem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Csr;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemTest {
    @TempDir
    static Path shared;
    @TempDir
    Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(shared);
    }

    @Test
    void certificatesKeysAndCsrsRoundTrip() throws Exception {
        CertifiedKey w = pki.workload("east", "default", "sleep");
        assertThat(Pem.readCertificates(Pem.encodeCertificates(w.chain()))).isEqualTo(w.chain());
        PrivateKey back = Pem.readPrivateKey(Pem.encodePrivateKey(w.privateKey()));
        assertThat(back.getEncoded()).isEqualTo(w.privateKey().getEncoded());
        assertThat(Pem.encodePrivateKey(w.privateKey())).startsWith("-----BEGIN PRIVATE KEY-----");
        Csr.KeyAndCsr k = Csr.generate(SpiffeId.of("cluster.local", "a", "b"));
        assertThat(Pem.readCsr(k.pem()).getEncoded()).isEqualTo(k.csr().getEncoded());
        assertThat(CertifiedKey.fromPem(w.privateKeyPem(), w.chainPem())).isEqualTo(w);
    }

    @Test
    void readsSec1AndPkcs1KeysAsWrittenByOpenssl() {
        String sec1 = """
                -----BEGIN EC PRIVATE KEY-----
                MHcCAQEEINNG+ZcgJ1OXwZ1vyEZr3evMwRVlZ3ZTMxrCvj3ha59ZoAoGCCqGSM49
                AwEHoUQDQgAEYu+Z0W1/692hEwJIqBv1D7nvqbyeKGYENkqIkXWyCiVxFGe5p6Lw
                5hwMdmqBMe9TFQb96BF4awxGDNdXamPzpA==
                -----END EC PRIVATE KEY-----
                """;
        assertThat(Pem.readPrivateKey(sec1).getAlgorithm()).startsWith("EC");
        String withParameters = """
                -----BEGIN EC PARAMETERS-----
                BggqhkjOPQMBBw==
                -----END EC PARAMETERS-----
                """ + sec1;
        assertThat(Pem.readPrivateKey(withParameters, "key.pem")).isEqualTo(Pem.readPrivateKey(sec1));
        PrivateKey rsa = KeyAlgorithm.RSA_3072.generate().getPrivate();
        assertThat(Pem.readPrivateKey(Pem.encodePrivateKey(rsa)).getAlgorithm()).isEqualTo("RSA");
    }

    @Test
    void malformedPemIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Pem.readCertificates("")).isInstanceOf(PemException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> Pem.readCertificates("hello")).hasMessageContaining("not PEM");
        assertThatThrownBy(() -> Pem.readCertificates("-----BEGIN CERTIFICATE-----\nAAAA!!!\n-----END CERTIFICATE-----\n"))
                .isInstanceOf(PemException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> Pem.readCertificates("-----BEGIN CERTIFICATE-----\nMIIB\n"))
                .isInstanceOf(PemException.class);
        CertifiedKey w = pki.workload("east", "default", "sleep");
        assertThatThrownBy(() -> Pem.readCertificates(w.privateKeyPem()))
                .hasMessageContaining("expected only CERTIFICATE blocks, found PRIVATE KEY");
        assertThatThrownBy(() -> Pem.readPrivateKey(w.chainPem()))
                .hasMessageContaining("expected exactly one private key block");
        assertThatThrownBy(() -> Pem.readCsr(w.chainPem())).hasMessageContaining("CERTIFICATE REQUEST");
        assertThatThrownBy(() -> Pem.readCertificates("", "cert-chain.pem")).hasMessageStartingWith("cert-chain.pem: ");
        assertThatThrownBy(() -> Pem.readPrivateKey(w.chainPem(), "key.pem")).hasMessageStartingWith("key.pem: ");
        assertThatThrownBy(() -> Pem.readCertificates(dir.resolve("absent.pem")))
                .hasMessageContaining("absent.pem: no such file");
    }

    @Test
    void aKeyThatDoesNotMatchItsCertificateIsRefused() {
        CertifiedKey a = pki.workload("east", "default", "a");
        CertifiedKey b = pki.workload("east", "default", "b");
        assertThatThrownBy(() -> new CertifiedKey(a.privateKey(), b.chain()))
                .isInstanceOf(TrustException.class).hasMessageContaining("does not match");
        CaFiles.writeWorkload(dir, a, List.of(pki.rootCertificate()));
        Pem.writePrivateKey(dir.resolve(CaFiles.KEY), b.privateKey());
        assertThatThrownBy(() -> CaFiles.readWorkload(dir))
                .hasMessageContaining("key.pem does not match the certificate in")
                .hasMessageContaining("cert-chain.pem");
        PrivateKey rsa = KeyAlgorithm.RSA_3072.generate().getPrivate();
        assertThatThrownBy(() -> new CertifiedKey(rsa, a.chain())).hasMessageContaining("does not match");
    }

    @Test
    void privateKeysAreWrittenOwnerOnlyAndAtomically() throws Exception {
        CertifiedKey w = pki.workload("east", "default", "sleep");
        Path key = dir.resolve("sub/key.pem");
        Pem.writePrivateKey(key, w.privateKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        Pem.writeCertificates(dir.resolve("sub/cert.pem"), w.chain());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("sub/cert.pem"))))
                .isEqualTo("rw-r--r--");
        // overwrite in place: the old file is replaced by rename, no temporary file is left behind
        Pem.writePrivateKey(key, pki.workload("east", "default", "other").privateKey());
        try (var files = Files.list(dir.resolve("sub"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("key.pem", "cert.pem");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    }
}
