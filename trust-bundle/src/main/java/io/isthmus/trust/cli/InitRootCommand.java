package io.isthmus.trust.cli;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.ca.CaSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isthmus ca init-root}: creates the mesh root CA. */
@Command(name = "init-root", mixinStandardHelpOptions = true,
        description = {"Create the mesh root CA (once per federation).",
            "Writes the self-signed CA certificate and its private key as root-cert.pem",
            "and root-key.pem (mode 0600) in --out. Keep root-key.pem offline: running",
            "clusters need only their intermediates."})
final class InitRootCommand extends CaSubcommand {
    @Option(names = "--out", defaultValue = ".", paramLabel = "DIR",
            description = "Directory to write root-cert.pem and root-key.pem to (default: the current directory).")
    Path out;

    @Option(names = "--algorithm", defaultValue = "ec-p256", paramLabel = "ALG",
            description = "Key type: ec-p256 (default) or rsa-3072.")
    String algorithm;

    @Option(names = "--validity", defaultValue = "3650d", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "How long the root is valid (default ${DEFAULT-VALUE}, i.e. 10 years).")
    Duration validity;

    @Option(names = "--path-length", defaultValue = "1", paramLabel = "N",
            description = "How many CA levels may sit below the root (default ${DEFAULT-VALUE}: intermediates only).")
    int pathLength;

    @Option(names = "--common-name", defaultValue = "Isthmus Root CA", paramLabel = "CN",
            description = "Subject common name (default '${DEFAULT-VALUE}').")
    String commonName;

    @Option(names = "--force", description = "Overwrite an existing root in --out.")
    boolean force;

    @Override
    int execute() {
        if (!force && Files.exists(out.resolve(CaFiles.ROOT_KEY))) {
            err().println("error: " + out.resolve(CaFiles.ROOT_KEY) + " already exists; use --force to replace the root");
            return FAILED;
        }
        CaSpec spec = CaSpec.root().withAlgorithm(KeyAlgorithm.parse(algorithm)).withValidity(validity)
                .withPathLength(pathLength).withCommonName(commonName);
        CertifiedKey root = CaFactory.createRoot(spec);
        CaFiles.writeRoot(out, root);
        out().println("Created root CA " + Certificates.subject(root.certificate()));
        out().println("  certificate: " + out.resolve(CaFiles.ROOT_CERT));
        out().println("  private key: " + out.resolve(CaFiles.ROOT_KEY) + " (mode 0600)");
        out().println("  valid until: " + root.notAfter());
        out().println("  SHA-256 fingerprint: " + Certificates.sha256Fingerprint(root.certificate()));
        return OK;
    }
}
