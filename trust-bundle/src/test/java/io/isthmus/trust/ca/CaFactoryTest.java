package io.isthmus.trust.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaFactoryTest {
    @TempDir
    Path dir;

    @Test
    void rootIsSelfSignedP256TenYearsWithPathLengthAndCaKeyUsage() throws Exception {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root());
        X509Certificate c = root.certificate();
        c.verify(c.getPublicKey());
        assertThat(c.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(c.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(c.getBasicConstraints()).isEqualTo(1);
        boolean[] ku = c.getKeyUsage();
        assertThat(ku[5]).as("keyCertSign").isTrue();
        assertThat(ku[6]).as("cRLSign").isTrue();
        assertThat(ku[0]).as("digitalSignature").isFalse();
        assertThat(c.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        Duration validity = Duration.between(c.getNotBefore().toInstant(), c.getNotAfter().toInstant());
        assertThat(validity).isBetween(Duration.ofDays(3650), Duration.ofDays(3650).plusMinutes(6));
        assertThat(c.getSerialNumber().bitLength()).isBetween(100, 128);
        assertThat(c.getExtensionValue("2.5.29.14")).as("SKI").isNotNull();
    }

    @Test
    void rsaRootAndCustomPathLength() {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root().withAlgorithm(KeyAlgorithm.RSA_3072).withPathLength(3)
                .withValidity(Duration.ofDays(30)));
        assertThat(((RSAPublicKey) root.certificate().getPublicKey()).getModulus().bitLength()).isEqualTo(3072);
        assertThat(root.certificate().getSigAlgName()).isEqualTo("SHA256withRSA");
        assertThat(root.certificate().getBasicConstraints()).isEqualTo(3);
    }

    @Test
    void intermediateIsSignedByRootNamedForItsClusterAndCutToTheRootsLifetime() throws Exception {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root().withValidity(Duration.ofDays(365)));
        CertifiedKey east = CaFactory.createIntermediate(root, CaSpec.intermediate("east"));
        X509Certificate c = east.certificate();
        c.verify(root.certificate().getPublicKey());
        assertThat(c.getSubjectX500Principal().getName()).contains("L=east").contains("O=Isthmus");
        assertThat(c.getIssuerX500Principal()).isEqualTo(root.certificate().getSubjectX500Principal());
        assertThat(c.getBasicConstraints()).isZero();
        assertThat(c.getKeyUsage()[5]).isTrue();
        assertThat(c.getNotAfter()).isEqualTo(root.certificate().getNotAfter());
        assertThat(east.chain()).containsExactly(c, root.certificate());
        assertThatThrownBy(() -> CaSpec.intermediate("bad name")).hasMessageContaining("cluster name 'bad name'");
    }

    @Test
    void cacertsLayoutIsWhatIstioExpects() throws Exception {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root());
        CertifiedKey east = CaFactory.createIntermediate(root, CaSpec.intermediate("east"));
        CaFiles.writeCacerts(dir, east, List.of(root.certificate()));
        assertThat(Pem.readCertificates(dir.resolve("ca-cert.pem"))).containsExactly(east.certificate());
        assertThat(Pem.readCertificates(dir.resolve("cert-chain.pem"))).containsExactly(east.certificate(), root.certificate());
        assertThat(Pem.readCertificates(dir.resolve("root-cert.pem"))).containsExactly(root.certificate());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca-key.pem"))))
                .isEqualTo("rw-------");
        CaFiles.Cacerts read = CaFiles.readCacerts(dir);
        assertThat(read.signer().chain()).containsExactly(east.certificate(), root.certificate());
    }

    @Test
    void aCaKeyThatDoesNotMatchIsRefusedOnLoad() {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root());
        CertifiedKey east = CaFactory.createIntermediate(root, CaSpec.intermediate("east"));
        CaFiles.writeCacerts(dir, east, List.of(root.certificate()));
        Pem.writePrivateKey(dir.resolve("ca-key.pem"), root.privateKey());
        assertThatThrownBy(() -> CertificateAuthority.load(dir, "cluster.local"))
                .isInstanceOf(TrustException.class)
                .hasMessageContaining("ca-key.pem does not match")
                .hasMessageContaining("ca-cert.pem");
    }

    @Test
    void anIntermediateFromAnotherRootIsRefusedOnLoad() {
        CertifiedKey root = CaFactory.createRoot(CaSpec.root());
        CertifiedKey other = CaFactory.createRoot(CaSpec.root());
        CertifiedKey east = CaFactory.createIntermediate(other, CaSpec.intermediate("east"));
        CaFiles.writeCacerts(dir, east, List.of(root.certificate()));
        Pem.writeCertificates(dir.resolve("cert-chain.pem"), List.of(east.certificate()));
        assertThatThrownBy(() -> CertificateAuthority.load(dir, "cluster.local"))
                .hasMessageContaining("is not usable").hasMessageContaining("no root of the bundle issued");
    }
}
