package io.isthmus.sidecar.cert;

import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The trust bundle the proxy verifies peers and the control plane against (SDS secret
 * {@code ROOTCA}): one or more roots, several during a root rotation.
 *
 * @param roots  the root certificates, never empty
 * @param pem    the same roots as concatenated PEM
 * @param source where they came from: {@code file:<path>}, {@code sds:<version>} or {@code cert-dir:<path>}
 */
public record TrustAnchors(List<X509Certificate> roots, String pem, String source) {

    /**
     * The roots in a PEM text.
     *
     * @throws CertificateException naming {@code source} when it holds no valid certificate
     */
    public static TrustAnchors fromPem(String pem, String source) {
        List<X509Certificate> roots;
        try {
            roots = Pem.readCertificates(pem, source);
        } catch (TrustException e) {
            throw new CertificateException(e.getMessage(), e);
        }
        return new TrustAnchors(roots, Pem.encodeCertificates(roots), source);
    }

    public TrustAnchors {
        roots = List.copyOf(roots);
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("roots: empty");
        }
        Objects.requireNonNull(pem, "pem");
        Objects.requireNonNull(source, "source");
    }
}
