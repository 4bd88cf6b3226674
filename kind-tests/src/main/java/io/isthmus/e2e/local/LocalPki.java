package io.isthmus.e2e.local;

import io.isthmus.trust.cli.CaCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * The local federation's PKI: one root and one intermediate per cluster, written in Istio's
 * {@code cacerts} layout ({@code ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem}) under
 * {@code <dir>/<cluster>/}, the root under {@code <dir>/root-cert.pem}; made exactly as an operator
 * would, with {@code isthmus ca init-root} and {@code isthmus ca issue-intermediate} (run in-process).
 */
public final class LocalPki {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPki.class);
    private final Path dir;
    private final String trustDomain;

    /** A PKI under {@code dir} for {@code trustDomain}. */
    public LocalPki(Path dir, String trustDomain) {
        this.dir = dir;
        this.trustDomain = trustDomain;
    }

    /** The mesh root certificate file. */
    public Path rootCert() {
        return dir.resolve("root-cert.pem");
    }

    /** The cacerts directory of a cluster. */
    public Path caDir(String cluster) {
        return dir.resolve(cluster);
    }

    /** Makes the root and an intermediate for each cluster, replacing what an earlier run left. */
    public LocalPki create(List<String> clusters) {
        ca(List.of("init-root", "--out", dir.toString(), "--force"));
        for (String c : clusters) {
            ca(List.of("issue-intermediate", "--cluster", c, "--root-dir", dir.toString(),
                    "--out", caDir(c).toString(), "--force"));
        }
        LOG.info("PKI ready [{}] root={} intermediates={}", trustDomain, rootCert(), clusters);
        return this;
    }

    private static void ca(List<String> args) {
        StringWriter err = new StringWriter();
        int rc = new CommandLine(new CaCommand()).setErr(new PrintWriter(err))
                .setOut(new PrintWriter(new StringWriter())).execute(args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("isthmus ca " + String.join(" ", args) + " failed (exit " + rc + "): " + err);
        }
    }
}
