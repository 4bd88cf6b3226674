package io.isthmus.trust.cli;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.KeyAlgorithm;
import io.isthmus.trust.ca.CaFactory;
import io.isthmus.trust.ca.CaFiles;
import io.isthmus.trust.ca.CaSpec;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isthmus ca issue-intermediate}: creates a cluster's intermediate CA in Istio's cacerts layout. */
@Command(name = "issue-intermediate", mixinStandardHelpOptions = true,
        description = {"Create a cluster's intermediate CA, signed by the root.",
            "Writes Istio's cacerts layout: ca-cert.pem, ca-key.pem (0600),",
            "root-cert.pem, cert-chain.pem. Give the directory to the controller",
            "(--ca-dir) or load it into a Kubernetes Secret named cacerts."})
final class IssueIntermediateCommand extends CaSubcommand {
    @Option(names = "--cluster", required = true, paramLabel = "NAME", description = "Cluster name (written as L=NAME in the subject).")
    String cluster;

    @Option(names = "--root-dir", defaultValue = ".", paramLabel = "DIR",
            description = "Directory holding root-cert.pem and root-key.pem (default: the current directory).")
    Path rootDir;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write the cacerts files (default: <root-dir>/<cluster>).")
    Path out;

    @Option(names = "--extra-root", paramLabel = "FILE",
            description = "Another root to trust in root-cert.pem, e.g. the next root during a rotation (repeatable).")
    List<Path> extraRoots = new ArrayList<>();

    @Option(names = "--algorithm", defaultValue = "ec-p256", paramLabel = "ALG", description = "Key type: ec-p256 (default) or rsa-3072.")
    String algorithm;

    @Option(names = "--validity", defaultValue = "1825d", converter = DurationConverter.class, paramLabel = "DURATION",
            description = "How long the intermediate is valid (default ${DEFAULT-VALUE}; never past the root).")
    Duration validity;

    @Option(names = "--force", description = "Overwrite an existing ca-key.pem in --out.")
    boolean force;

    @Override
    int execute() {
        Path target = out != null ? out : rootDir.resolve(cluster);
        if (!force && Files.exists(target.resolve(CaFiles.CA_KEY))) {
            err().println("error: " + target.resolve(CaFiles.CA_KEY) + " already exists; use --force to replace it");
            return FAILED;
        }
        CertifiedKey root = CaFiles.readRoot(rootDir);
        CaSpec spec = CaSpec.intermediate(cluster).withAlgorithm(KeyAlgorithm.parse(algorithm)).withValidity(validity);
        CertifiedKey intermediate = CaFactory.createIntermediate(root, spec);
        List<X509Certificate> roots = new ArrayList<>();
        roots.add(root.certificate());
        for (Path p : extraRoots) {
            roots.addAll(Pem.readCertificates(p));
        }
        CaFiles.writeCacerts(target, intermediate, roots);
        out().println("Created intermediate CA for cluster " + cluster + ": "
                + Certificates.subject(intermediate.certificate()));
        out().println("  cacerts directory: " + target + " (ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem)");
        out().println("  valid until: " + intermediate.notAfter());
        out().println("  Kubernetes: kubectl create secret generic cacerts -n isthmus-system --from-file=" + target);
        return OK;
    }
}
