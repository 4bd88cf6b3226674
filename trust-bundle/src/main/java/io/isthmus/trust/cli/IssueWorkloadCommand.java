package io.isthmus.trust.cli;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.Csr;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.ca.IssuancePolicy;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isthmus ca issue-workload}: issues an X.509-SVID from a cluster's intermediate. */
@Command(name = "issue-workload", mixinStandardHelpOptions = true,
        description = {"Issue a workload certificate (X.509-SVID) from a cluster's CA.",
            "Without --csr a fresh key is generated and --out receives cert-chain.pem,",
            "key.pem (0600) and root-cert.pem: the layout a proxy takes with --cert-dir.",
            "With --csr the CSR is checked under the same rules as the controller's CA",
            "service (it must ask for exactly --spiffe-id); only cert-chain.pem is written."})
final class IssueWorkloadCommand extends CaSubcommand {
    @Option(names = "--ca-dir", required = true, paramLabel = "DIR",
            description = "The cluster's cacerts directory (ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem).")
    Path caDir;

    @Option(names = "--spiffe-id", required = true, paramLabel = "ID",
            description = "The identity, e.g. spiffe://cluster.local/ns/default/sa/sleep; it must be in --trust-domain.")
    String spiffeId;

    @Option(names = "--trust-domain", defaultValue = SpiffeId.DEFAULT_TRUST_DOMAIN, paramLabel = "TD",
            description = "The CA's trust domain (default ${DEFAULT-VALUE}); an ID of another one is refused.")
    String trustDomain;

    @Option(names = "--ttl", defaultValue = "24h", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Requested lifetime (default ${DEFAULT-VALUE}); capped by --max-ttl and the CA's own expiry.")
    Duration ttl;

    @Option(names = "--max-ttl", defaultValue = "7d", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "Longest lifetime granted (default ${DEFAULT-VALUE}).")
    Duration maxTtl;

    @Option(names = "--csr", paramLabel = "FILE", description = "Sign this PEM CSR instead of generating a key.")
    Path csr;

    @Option(names = "--algorithm", defaultValue = "ec-p256", paramLabel = "ALG",
            description = "Key type when generating: ec-p256 (default) or rsa-3072.")
    String algorithm;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write to.")
    Path out;

    @Override
    int execute() {
        SpiffeId id = SpiffeId.parse(spiffeId);
        IssuancePolicy policy = new IssuancePolicy(trustDomain,
                ttl.compareTo(maxTtl) > 0 ? maxTtl : ttl, maxTtl, IssuancePolicy.DEFAULT_BACKDATE);
        CertificateAuthority ca = CertificateAuthority.load(caDir, policy, Clock.systemUTC());
        List<X509Certificate> chain;
        if (csr != null) {
            String pem;
            try {
                pem = Files.readString(csr);
            } catch (java.io.IOException e) {
                err().println("error: cannot read " + csr + ": " + e.getMessage());
                return FAILED;
            }
            chain = ca.issueWorkload(pem, id, ttl);
            Pem.writeCertificates(out.resolve(CaFiles.CERT_CHAIN), chain);
        } else {
            Csr.KeyAndCsr k = Csr.generate(id, KeyAlgorithm.parse(algorithm));
            chain = ca.issueWorkload(k.csr(), id, ttl);
            CertifiedKey key = k.complete(chain);
            CaFiles.writeWorkload(out, key, ca.roots());
        }
        X509Certificate leaf = chain.get(0);
        out().println("Issued " + id);
        out().println("  serial: " + leaf.getSerialNumber().toString(16));
        out().println("  valid: " + leaf.getNotBefore().toInstant() + " to " + leaf.getNotAfter().toInstant());
        out().println("  issuer: " + Certificates.subject(ca.caCertificate()));
        if (ttl.compareTo(maxTtl) > 0) {
            out().println("  note: --ttl " + DurationConverter.format(ttl) + " is longer than --max-ttl "
                    + DurationConverter.format(maxTtl) + "; the certificate got the maximum");
        }
        out().println("  written: " + out.resolve(CaFiles.CERT_CHAIN)
                + (csr == null ? ", " + out.resolve(CaFiles.KEY) + " (0600), " + out.resolve(CaFiles.ROOT_CERT) : ""));
        return OK;
    }
}
