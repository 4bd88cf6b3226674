package io.isthmus.trust.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuancePolicy;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestCertificates;
import io.isthmus.trust.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What Isthmus issues and accepts, checked against an independent verifier: {@code openssl verify}. */
class OpenSslInteropTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    record Verdict(boolean ok, String output) {
    }

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(opensslPresent(), "openssl is not installed");
        pki = TestPki.create(dir);
    }

    static boolean opensslPresent() {
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static Verdict openssl(Path rootFile, List<X509Certificate> chain, Instant at, String purpose) throws Exception {
        Path case_ = Files.createTempDirectory(dir, "case");
        Path leaf = case_.resolve("workload.pem");
        Pem.writeCertificates(leaf, List.of(chain.get(0)));
        List<String> cmd = new ArrayList<>(List.of("openssl", "verify", "-CAfile", rootFile.toString()));
        if (chain.size() > 1) {
            Path untrusted = case_.resolve("cert-chain.pem");
            Pem.writeCertificates(untrusted, chain.subList(1, chain.size()));
            cmd.addAll(List.of("-untrusted", untrusted.toString()));
        }
        if (at != null) {
            cmd.addAll(List.of("-attime", Long.toString(at.getEpochSecond())));
        }
        if (purpose != null) {
            cmd.addAll(List.of("-purpose", purpose));
        }
        cmd.add(leaf.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Verdict(p.exitValue() == 0, out);
    }

    @Test
    void opensslAcceptsWhatWeIssueFromEitherCluster() throws Exception {
        for (String cluster : List.of("east", "west")) {
            CertifiedKey w = pki.workload(cluster, "default", "sleep");
            Path rootFile = pki.cacertsDir(cluster).resolve(CaFiles.ROOT_CERT);
            Verdict v = openssl(rootFile, w.chain(), null, null);
            assertThat(v.ok()).as(v.output()).isTrue();
            assertThat(openssl(rootFile, w.chain(), null, "sslclient").ok()).isTrue();
            assertThat(openssl(rootFile, w.chain(), null, "sslserver").ok()).isTrue();
            assertThat(pki.bundle().verify(w.chain()).ok()).isTrue();
        }
    }

    static String opensslCsr(String... extraArgs) throws Exception {
        Path d = Files.createTempDirectory(dir, "csr");
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", d.resolve("key.pem").toString(),
                "-out", d.resolve("req.pem").toString(), "-subj", "/O=cluster.local"));
        cmd.addAll(List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return Files.readString(d.resolve("req.pem"));
    }

    @Test
    void csrsMadeByOpensslAreSignedOrRefusedByTheSameRules() throws Exception {
        SpiffeId sleep = SpiffeId.of("cluster.local", "default", "sleep");
        CertificateAuthority ca = pki.authority("east");
        String good = opensslCsr("-addext", "subjectAltName=URI:" + sleep);
        List<X509Certificate> chain = ca.issueWorkload(good, sleep, null);
        assertThat(openssl(pki.rootCertFile(), chain, null, "sslclient").ok()).isTrue();
        String caBit = opensslCsr("-addext", "subjectAltName=URI:" + sleep, "-addext", "basicConstraints=critical,CA:TRUE");
        assertThatThrownBy(() -> ca.issueWorkload(caBit, sleep, null)).hasMessageContaining("CA_REQUESTED");
        String extraDns = opensslCsr("-addext", "subjectAltName=URI:" + sleep + ",DNS:sleep.default.svc");
        assertThatThrownBy(() -> ca.issueWorkload(extraDns, sleep, null)).hasMessageContaining("EXTRA_SAN");
        String noSan = opensslCsr();
        assertThatThrownBy(() -> ca.issueWorkload(noSan, sleep, null)).hasMessageContaining("MISSING_SPIFFE_ID");
    }

    @Test
    void opensslAcceptsTheCacertsChainItself() throws Exception {
        Path cacerts = pki.cacertsDir("east");
        Process p = new ProcessBuilder("openssl", "verify", "-CAfile", cacerts.resolve("root-cert.pem").toString(),
                cacerts.resolve("ca-cert.pem").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    @Test
    void weRejectExactlyWhatOpensslRejects() throws Exception {
        CertifiedKey good = pki.workload("east", "default", "sleep");
        CertifiedKey eastCa = CaFactory.createIntermediate(pki.root(), CaSpec.intermediate("east"));
        CertifiedKey sub = TestCertificates.subCa(eastCa, "Sub CA");
        CertifiedKey tooDeep = TestCertificates.leaf(sub, List.of(TestCertificates.uri("spiffe://cluster.local/ns/a/sa/b")));
        CertifiedKey foreign = pki.foreignWorkload("default", "sleep");
        CertifiedKey newRoot = CaFactory.createRoot(CaSpec.root());
        CertificateAuthority newCa = CertificateAuthority.of(CaFactory.createIntermediate(newRoot, CaSpec.intermediate("east")),
                List.of(newRoot.certificate()), IssuancePolicy.defaults("cluster.local"), Clock.systemUTC());
        CertifiedKey fresh = newCa.issueWorkloadKey(SpiffeId.of("cluster.local", "default", "sleep"), null);
        Path oldRoot = pki.rootCertFile();
        Path bothRoots = dir.resolve("both-roots.pem");
        Pem.writeCertificates(bothRoots, List.of(pki.rootCertificate(), newRoot.certificate()));
        Path newOnly = dir.resolve("new-root.pem");
        Pem.writeCertificates(newOnly, List.of(newRoot.certificate()));
        List<X509Certificate> mixed = List.of(good.certificate(), pki.authority("west").caCertificate());

        record Case(String name, Path roots, List<X509Certificate> chain, Instant at, boolean expected) {
        }
        Instant now = Instant.now();
        List<Case> cases = List.of(
                new Case("valid", oldRoot, good.chain(), null, true),
                new Case("valid without root in chain", oldRoot, good.chain().subList(0, 2), null, true),
                new Case("expired leaf", oldRoot, good.chain(), now.plus(Duration.ofDays(2)), false),
                new Case("not yet valid", oldRoot, good.chain(), now.minus(Duration.ofHours(2)), false),
                new Case("foreign root", oldRoot, foreign.chain(), null, false),
                new Case("path length exceeded", oldRoot, tooDeep.chain(), null, false),
                new Case("wrong intermediate", oldRoot, mixed, null, false),
                new Case("new root, old bundle", oldRoot, fresh.chain(), null, false),
                new Case("old cert during rotation", bothRoots, good.chain(), null, true),
                new Case("new cert during rotation", bothRoots, fresh.chain(), null, true),
                new Case("old cert after old root removed", newOnly, good.chain(), null, false));
        for (Case c : cases) {
            Verdict theirs = openssl(c.roots(), c.chain(), c.at(), null);
            TrustBundle bundle = TrustBundle.of("cluster.local", Pem.readCertificates(c.roots()));
            ChainVerification ours = bundle.verify(c.chain(), c.at() == null ? Instant.now() : c.at());
            assertThat(theirs.ok()).as("openssl on '%s': %s", c.name(), theirs.output()).isEqualTo(c.expected());
            assertThat(ours.ok()).as("isthmus on '%s': %s", c.name(), ours).isEqualTo(c.expected());
        }
    }
}
