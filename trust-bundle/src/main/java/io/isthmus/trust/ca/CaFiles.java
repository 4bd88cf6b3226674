package io.isthmus.trust.ca;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Certificates;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The on-disk layouts of the mesh PKI.
 *
 * <ul>
 *   <li>Root directory: {@code root-cert.pem}, {@code root-key.pem} (0600).</li>
 *   <li>Istio {@code cacerts} (one per cluster): {@code ca-cert.pem} (the intermediate), {@code ca-key.pem}
 *       (its key, 0600), {@code root-cert.pem} (the root or roots), {@code cert-chain.pem} (the intermediate
 *       followed by its issuers up to the root).</li>
 *   <li>Workload directory (the proxies' {@code --cert-dir}): {@code cert-chain.pem} (leaf first),
 *       {@code key.pem} (0600), {@code root-cert.pem}.</li>
 * </ul>
 */
public final class CaFiles {
    public static final String ROOT_CERT = "root-cert.pem";
    public static final String ROOT_KEY = "root-key.pem";
    public static final String CA_CERT = "ca-cert.pem";
    public static final String CA_KEY = "ca-key.pem";
    public static final String CERT_CHAIN = "cert-chain.pem";
    public static final String KEY = "key.pem";

    /** The contents of a {@code cacerts} directory. */
    public record Cacerts(CertifiedKey signer, List<X509Certificate> roots) {
        public Cacerts {
            Objects.requireNonNull(signer, "signer");
            roots = List.copyOf(roots);
        }
    }

    private CaFiles() {
    }

    /** Writes a root CA's certificate and key. */
    public static void writeRoot(Path dir, CertifiedKey root) {
        Pem.writePrivateKey(dir.resolve(ROOT_KEY), root.privateKey());
        Pem.writeCertificates(dir.resolve(ROOT_CERT), List.of(root.certificate()));
    }

    /** Reads a root CA from {@code root-cert.pem} + {@code root-key.pem}, checking that they belong together. */
    public static CertifiedKey readRoot(Path dir) {
        return readKeyAndCert(dir.resolve(ROOT_KEY), dir.resolve(ROOT_CERT));
    }

    /**
     * Writes an intermediate in Istio's {@code cacerts} layout. {@code roots} may hold several roots (during a
     * root rotation); the intermediate's chain is written to {@code cert-chain.pem}.
     */
    public static void writeCacerts(Path dir, CertifiedKey intermediate, List<X509Certificate> roots) {
        if (roots.isEmpty()) {
            throw new TrustException("cacerts needs at least one root certificate");
        }
        Pem.writePrivateKey(dir.resolve(CA_KEY), intermediate.privateKey());
        Pem.writeCertificates(dir.resolve(CA_CERT), List.of(intermediate.certificate()));
        Pem.writeCertificates(dir.resolve(CERT_CHAIN), intermediate.chain());
        Pem.writeCertificates(dir.resolve(ROOT_CERT), roots);
    }

    /** Reads a {@code cacerts} directory; {@code cert-chain.pem} is optional (the CA certificate alone then). */
    public static Cacerts readCacerts(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TrustException("cacerts directory " + dir + " does not exist");
        }
        PrivateKey key = Pem.readPrivateKey(dir.resolve(CA_KEY));
        X509Certificate caCert = single(dir.resolve(CA_CERT));
        List<X509Certificate> roots = Pem.readCertificates(dir.resolve(ROOT_CERT));
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(caCert);
        Path chainFile = dir.resolve(CERT_CHAIN);
        if (Files.exists(chainFile)) {
            for (X509Certificate c : Pem.readCertificates(chainFile)) {
                if (!c.equals(caCert)) {
                    chain.add(c);
                }
            }
        }
        try {
            return new Cacerts(new CertifiedKey(key, chain), roots);
        } catch (TrustException e) {
            throw new TrustException(dir.resolve(CA_KEY) + " does not match " + dir.resolve(CA_CERT) + ": "
                    + e.getMessage(), e);
        }
    }

    /** Writes a workload's key, chain and roots in the proxies' {@code --cert-dir} layout. */
    public static void writeWorkload(Path dir, CertifiedKey workload, List<X509Certificate> roots) {
        Pem.writePrivateKey(dir.resolve(KEY), workload.privateKey());
        Pem.writeCertificates(dir.resolve(CERT_CHAIN), workload.chain());
        Pem.writeCertificates(dir.resolve(ROOT_CERT), roots);
    }

    /** Reads a workload's key and chain from a {@code --cert-dir} directory. */
    public static CertifiedKey readWorkload(Path dir) {
        return readKeyAndCert(dir.resolve(KEY), dir.resolve(CERT_CHAIN));
    }

    private static CertifiedKey readKeyAndCert(Path keyFile, Path certFile) {
        PrivateKey key = Pem.readPrivateKey(keyFile);
        List<X509Certificate> certs = Pem.readCertificates(certFile);
        if (!Certificates.keyMatches(key, certs.get(0).getPublicKey())) {
            throw new TrustException(keyFile + " does not match the certificate in " + certFile
                    + " (" + Certificates.subject(certs.get(0)) + ")");
        }
        return new CertifiedKey(key, certs);
    }

    private static X509Certificate single(Path file) {
        List<X509Certificate> certs = Pem.readCertificates(file);
        if (certs.size() != 1) {
            throw new TrustException(file + " must hold exactly one certificate, found " + certs.size());
        }
        return certs.get(0);
    }
}
