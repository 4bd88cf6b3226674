package io.isthmus.trust.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.trust.Csr;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.pem.Pem;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code ca} commands, run in-process through picocli as a user would type them. */
class CaCommandTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new CaCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path root() {
        Run r = run("init-root", "--out", dir.resolve("root").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        return dir.resolve("root");
    }

    @Test
    void fullWalkthroughFromRootToVerifiedWorkload() throws Exception {
        Path root = root();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("root-key.pem"))))
                .isEqualTo("rw-------");
        Run east = run("issue-intermediate", "--root-dir", root.toString(), "--cluster", "east");
        assertThat(east.exit()).as(east.err()).isZero();
        assertThat(east.out()).contains("cacerts directory: " + root.resolve("east"));
        for (String f : new String[] {"ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"}) {
            assertThat(root.resolve("east").resolve(f)).exists();
        }
        Run w = run("issue-workload", "--ca-dir", root.resolve("east").toString(),
                "--spiffe-id", "spiffe://cluster.local/ns/default/sa/sleep", "--ttl", "2h",
                "--out", dir.resolve("sleep").toString());
        assertThat(w.exit()).as(w.err()).isZero();
        assertThat(w.out()).contains("Issued spiffe://cluster.local/ns/default/sa/sleep");
        assertThat(dir.resolve("sleep/key.pem")).exists();

        Run inspect = run("inspect", dir.resolve("sleep/cert-chain.pem").toString());
        assertThat(inspect.exit()).isZero();
        assertThat(inspect.out())
                .contains("3 certificates")
                .contains("workload certificate (X.509-SVID) for spiffe://cluster.local/ns/default/sa/sleep")
                .contains("URI:spiffe://cluster.local/ns/default/sa/sleep")
                .contains("intermediate CA, may sign certificates with 0 more CA levels")
                .contains("root CA (self-signed)")
                .contains("valid now, expires in 1 h 5")
                .contains("SHA-256 fingerprint:")
                .contains("certificate 2 of this file (signature verifies)")
                .contains("Issuer chain: spiffe://cluster.local/ns/default/sa/sleep  <-signed by-  ")
                .contains("serverAuth (TLS server), clientAuth (TLS client)");

        Run ok = run("verify", "--bundle", root.resolve("root-cert.pem").toString(),
                dir.resolve("sleep/cert-chain.pem").toString());
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).contains("OK:").contains("spiffe://cluster.local/ns/default/sa/sleep");

        Run later = run("verify", "--bundle", root.resolve("root-cert.pem").toString(), "--at", "2099-01-01T00:00:00Z",
                dir.resolve("sleep/cert-chain.pem").toString());
        assertThat(later.exit()).isEqualTo(1);
        assertThat(later.out()).contains("REFUSED: EXPIRED");
    }

    @Test
    void issueWorkloadSignsAGivenCsrUnderTheSameRules() throws Exception {
        Path root = root();
        run("issue-intermediate", "--root-dir", root.toString(), "--cluster", "west");
        Csr.KeyAndCsr k = Csr.generate(SpiffeId.of("cluster.local", "default", "reviews"));
        Path csr = dir.resolve("req.csr");
        Files.writeString(csr, k.pem());
        Run good = run("issue-workload", "--ca-dir", root.resolve("west").toString(), "--csr", csr.toString(),
                "--spiffe-id", "spiffe://cluster.local/ns/default/sa/reviews", "--out", dir.resolve("out").toString());
        assertThat(good.exit()).as(good.err()).isZero();
        assertThat(k.complete(Pem.readCertificates(dir.resolve("out/cert-chain.pem"))).spiffeId())
                .contains(SpiffeId.of("cluster.local", "default", "reviews"));
        Run other = run("issue-workload", "--ca-dir", root.resolve("west").toString(), "--csr", csr.toString(),
                "--spiffe-id", "spiffe://cluster.local/ns/default/sa/admin", "--out", dir.resolve("out2").toString());
        assertThat(other.exit()).isEqualTo(1);
        assertThat(other.err()).contains("IDENTITY_MISMATCH");
        Run inspectCsr = run("inspect", csr.toString());
        assertThat(inspectCsr.out()).contains("certificate signing request")
                .contains("URI:spiffe://cluster.local/ns/default/sa/reviews");
    }

    @Test
    void badInputGivesAClearErrorAndNonZeroExit() throws Exception {
        Path root = root();
        Run again = run("init-root", "--out", root.toString());
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).contains("already exists; use --force");

        Run badId = run("issue-workload", "--ca-dir", root.toString(), "--spiffe-id", "spiffe://Bad/x",
                "--out", dir.resolve("x").toString());
        assertThat(badId.exit()).isEqualTo(1);
        assertThat(badId.err()).contains("invalid SPIFFE ID 'spiffe://Bad/x'").contains("trust domain character 'B'");

        Run noCa = run("issue-workload", "--ca-dir", dir.resolve("missing").toString(),
                "--spiffe-id", "spiffe://cluster.local/ns/a/sa/b", "--out", dir.resolve("x").toString());
        assertThat(noCa.exit()).isEqualTo(1);
        assertThat(noCa.err()).contains("does not exist");

        Run badTtl = run("issue-workload", "--ca-dir", root.toString(), "--spiffe-id", "spiffe://cluster.local/ns/a/sa/b",
                "--ttl", "soon", "--out", dir.resolve("x").toString());
        assertThat(badTtl.exit()).isEqualTo(2);
        assertThat(badTtl.err()).contains("'soon' is not a duration");

        Files.writeString(dir.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        Run junk = run("inspect", dir.resolve("junk.pem").toString());
        assertThat(junk.exit()).isEqualTo(1);
        assertThat(junk.err()).contains("error:").contains("junk.pem");

        Run missing = run("verify", "--bundle", root.resolve("root-cert.pem").toString(), dir.resolve("nope.pem").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("nope.pem: no such file");

        Run missingOption = run("issue-intermediate", "--root-dir", root.toString());
        assertThat(missingOption.exit()).isEqualTo(2);
        assertThat(missingOption.err()).contains("Missing required option: '--cluster=NAME'");

        Run badCluster = run("issue-intermediate", "--root-dir", root.toString(), "--cluster", "no spaces");
        assertThat(badCluster.exit()).isEqualTo(1);
        assertThat(badCluster.err()).contains("cluster name 'no spaces' is not valid");
    }

    @Test
    void issueWorkloadKeepsToTheCasTrustDomainAndSaysWhenTheTtlWasCapped() {
        Path root = root();
        run("issue-intermediate", "--root-dir", root.toString(), "--cluster", "east");
        Run foreign = run("issue-workload", "--ca-dir", root.resolve("east").toString(),
                "--spiffe-id", "spiffe://example.org/ns/default/sa/sleep", "--out", dir.resolve("f").toString());
        assertThat(foreign.exit()).isEqualTo(1);
        assertThat(foreign.err()).contains("WRONG_TRUST_DOMAIN").contains("example.org").contains("cluster.local");
        assertThat(dir.resolve("f")).doesNotExist();
        Run other = run("issue-workload", "--ca-dir", root.resolve("east").toString(), "--trust-domain", "example.org",
                "--spiffe-id", "spiffe://example.org/ns/default/sa/sleep", "--out", dir.resolve("o").toString());
        assertThat(other.exit()).as(other.err()).isZero();
        Run capped = run("issue-workload", "--ca-dir", root.resolve("east").toString(), "--ttl", "30d",
                "--spiffe-id", "spiffe://cluster.local/ns/default/sa/sleep", "--out", dir.resolve("c").toString());
        assertThat(capped.exit()).as(capped.err()).isZero();
        assertThat(capped.out()).contains("note: --ttl 30d is longer than --max-ttl 7d");
        assertThat(DurationConverter.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
    }

    @Test
    void verifyRefusesAForeignRootWithTheReason() {
        Path root = root();
        run("issue-intermediate", "--root-dir", root.toString(), "--cluster", "east");
        run("init-root", "--out", dir.resolve("other").toString());
        run("issue-workload", "--ca-dir", root.resolve("east").toString(), "--spiffe-id",
                "spiffe://cluster.local/ns/default/sa/sleep", "--out", dir.resolve("w").toString());
        Run r = run("verify", "--bundle", dir.resolve("other/root-cert.pem").toString(),
                dir.resolve("w/cert-chain.pem").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("REFUSED: UNKNOWN_ISSUER");
        Run td = run("verify", "--bundle", root.resolve("root-cert.pem").toString(), "--trust-domain", "example.org",
                dir.resolve("w/cert-chain.pem").toString());
        assertThat(td.out()).contains("REFUSED: WRONG_TRUST_DOMAIN");
        Run aliased = run("verify", "--bundle", root.resolve("root-cert.pem").toString(), "--trust-domain", "example.org",
                "--alias", "cluster.local", dir.resolve("w/cert-chain.pem").toString());
        assertThat(aliased.exit()).isZero();
    }

    @Test
    void rsaRootAndIntermediateLoadAsACa() {
        Run r = run("init-root", "--out", dir.resolve("rsa").toString(), "--algorithm", "rsa-3072", "--validity", "365d");
        assertThat(r.exit()).as(r.err()).isZero();
        run("issue-intermediate", "--root-dir", dir.resolve("rsa").toString(), "--cluster", "east", "--algorithm", "rsa-3072");
        CertificateAuthority ca = CertificateAuthority.load(dir.resolve("rsa/east"), "cluster.local");
        assertThat(ca.caCertificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
        assertThat(ca.issueWorkloadKey(SpiffeId.of("cluster.local", "a", "b"), null).certificate().getSigAlgName())
                .isEqualTo("SHA256withRSA");
    }

    @Test
    void helpExplainsEveryCommand() {
        Run help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("init-root", "issue-intermediate", "issue-workload", "inspect", "verify",
                "Exit codes");
        Run sub = run("issue-workload", "--help");
        assertThat(sub.out()).contains("--spiffe-id", "--ttl", "--csr", "--cert-dir");
        assertThat(run().out()).contains("Usage: ca");
    }

    @Test
    void durationsInEveryUsualForm() {
        assertThat(DurationConverter.parse("90s")).hasSeconds(90);
        assertThat(DurationConverter.parse("1h30m")).hasMinutes(90);
        assertThat(DurationConverter.parse("10d")).hasDays(10);
        assertThat(DurationConverter.parse("PT24H")).hasHours(24);
    }
}
