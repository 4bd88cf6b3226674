package io.isthmus.e2e.local;

import io.isthmus.e2e.net.Ip;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The local federation's PKI: one root and one intermediate per cluster, written in Istio's
 * {@code cacerts} layout ({@code ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem}) under
 * {@code <dir>/<cluster>/}, the root under {@code <dir>/root-cert.pem}. Made with
 * {@code isthmus ca init-root} / {@code issue-intermediate} ({@code io.isthmus.trust.cli.CaCommand},
 * run in-process); without it on the classpath, with {@code openssl} (EC P-256 keys, PKCS#8), the
 * way Istio's plug-in CA guide makes them.
 */
public final class LocalPki {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPki.class);
    private static final String CA_COMMAND = "io.isthmus.trust.cli.CaCommand";
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

    /** Makes the root (once) and an intermediate for each cluster. */
    public LocalPki create(List<String> clusters) {
        if (caCommand(List.of("init-root", "--out", dir.toString(), "--force"))) {
            for (String c : clusters) {
                caCommand(List.of("issue-intermediate", "--cluster", c, "--root-dir", dir.toString(),
                        "--out", caDir(c).toString(), "--force"));
            }
            LOG.info("PKI ready (isthmus ca) [{}] root={} intermediates={}", trustDomain, rootCert(), clusters);
            return this;
        }
        try {
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve("root-key.pem"))) {
                key(dir.resolve("root-key.pem"));
                openssl("req", "-x509", "-new", "-key", dir.resolve("root-key.pem").toString(),
                        "-subj", "/O=Isthmus/CN=Isthmus Root CA", "-days", "3650", "-sha256",
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                        "-out", rootCert().toString());
            }
            for (String c : clusters) {
                intermediate(c);
            }
            LOG.info("PKI ready [{}] root={} intermediates={}", trustDomain, rootCert(), clusters);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the PKI under " + dir, e);
        }
    }

    private void intermediate(String cluster) throws IOException {
        Path d = Files.createDirectories(caDir(cluster));
        Path key = d.resolve("ca-key.pem");
        Path csr = d.resolve("ca.csr");
        Path ext = d.resolve("ca.ext");
        key(key);
        openssl("req", "-new", "-key", key.toString(), "-subj", "/O=Isthmus/CN=Isthmus Intermediate CA " + cluster + "/L=" + cluster,
                "-out", csr.toString());
        Files.writeString(ext, """
                basicConstraints=critical,CA:TRUE,pathlen:0
                keyUsage=critical,digitalSignature,keyCertSign,cRLSign
                subjectKeyIdentifier=hash
                authorityKeyIdentifier=keyid
                subjectAltName=URI:spiffe://%s/ns/isthmus-system/sa/isthmus-controller
                """.formatted(trustDomain));
        openssl("x509", "-req", "-in", csr.toString(), "-CA", rootCert().toString(),
                "-CAkey", dir.resolve("root-key.pem").toString(), "-set_serial", Long.toString(System.nanoTime()),
                "-days", "730", "-sha256", "-extfile", ext.toString(), "-out", d.resolve("ca-cert.pem").toString());
        Files.copy(rootCert(), d.resolve("root-cert.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(d.resolve("cert-chain.pem"), Files.readString(d.resolve("ca-cert.pem")) + Files.readString(rootCert()));
        Files.delete(csr);
        Files.delete(ext);
    }

    /** Runs {@code isthmus ca <args>} in-process; false when the command is not on the classpath. */
    private static boolean caCommand(List<String> args) {
        Object command;
        try {
            command = Class.forName(CA_COMMAND).getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return false;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create " + CA_COMMAND + ": " + e, e);
        }
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = new picocli.CommandLine(command).setErr(new java.io.PrintWriter(err))
                .setOut(new java.io.PrintWriter(new java.io.StringWriter())).execute(args.toArray(String[]::new));
        if (rc != 0) {
            throw new IllegalStateException("isthmus ca " + String.join(" ", args) + " failed (exit " + rc + "): " + err);
        }
        return true;
    }

    private static void key(Path file) {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file.toString());
    }

    private static void openssl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Ip.run(cmd);
    }
}
