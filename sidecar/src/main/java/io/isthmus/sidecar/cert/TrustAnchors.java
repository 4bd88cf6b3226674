package io.isthmus.sidecar.cert;

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

    public TrustAnchors {
        roots = List.copyOf(roots);
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("roots: empty");
        }
        Objects.requireNonNull(pem, "pem");
        Objects.requireNonNull(source, "source");
    }
}
