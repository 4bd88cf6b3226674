package io.isthmus.trust.bundle;

import io.isthmus.trust.Certificates;
import io.isthmus.trust.bundle.ChainVerification.Failure;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * RFC 5280 path validation (the JDK's PKIX validator, no revocation) of a chain against a set of roots at a
 * given instant, with the failure mapped to a {@link Failure}. Knows nothing of SPIFFE.
 */
public final class PathValidation {

    private PathValidation() {
    }

    /**
     * Validates {@code chain} (leaf first; a trailing copy of a root is ignored) against {@code roots} at
     * {@code at}. Also checks the validity period of the root the chain ends at, which PKIX does not.
     */
    public static ChainVerification validate(List<X509Certificate> chain, Collection<X509Certificate> roots,
            Instant at) {
        if (chain == null || chain.isEmpty()) {
            return ChainVerification.failed(Failure.INVALID_CHAIN, "the peer presented no certificate");
        }
        if (roots.isEmpty()) {
            return ChainVerification.failed(Failure.UNKNOWN_ISSUER, "the trust bundle holds no root");
        }
        List<X509Certificate> path = new ArrayList<>(chain);
        while (path.size() > 1 && selfSigned(path.get(path.size() - 1))) {
            path.remove(path.size() - 1);
        }
        if (path.size() == 1 && roots.contains(path.get(0))) {
            return ChainVerification.failed(Failure.NOT_SPIFFE, "the peer presented a root certificate as its own");
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate r : roots) {
            anchors.add(new TrustAnchor(r, null));
        }
        try {
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(at));
            PKIXCertPathValidatorResult result =
                    (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(cp, params);
            X509Certificate root = result.getTrustAnchor().getTrustedCert();
            if (root != null) {
                if (at.isAfter(root.getNotAfter().toInstant())) {
                    return ChainVerification.failed(Failure.EXPIRED, "root " + Certificates.subject(root)
                            + " expired at " + root.getNotAfter().toInstant());
                }
                if (at.isBefore(root.getNotBefore().toInstant())) {
                    return ChainVerification.failed(Failure.NOT_YET_VALID, "root " + Certificates.subject(root)
                            + " is not valid before " + root.getNotBefore().toInstant());
                }
            }
            return new ChainVerification(null, null, "ok");
        } catch (CertPathValidatorException e) {
            return map(e, path, roots, at);
        } catch (Exception e) {
            return ChainVerification.failed(Failure.INVALID_CHAIN, "chain cannot be validated: " + e.getMessage());
        }
    }

    private static boolean selfSigned(X509Certificate c) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
    }

    private static ChainVerification map(CertPathValidatorException e, List<X509Certificate> path,
            Collection<X509Certificate> roots, Instant at) {
        int index = e.getIndex();
        X509Certificate cert = index >= 0 && index < path.size() ? path.get(index) : null;
        String which = cert == null ? "chain" : (index == 0 ? "leaf " : "CA ") + Certificates.subject(cert);
        CertPathValidatorException.Reason reason = e.getReason();
        if (reason == CertPathValidatorException.BasicReason.EXPIRED && cert != null) {
            return ChainVerification.failed(Failure.EXPIRED, which + " expired at " + cert.getNotAfter().toInstant()
                    + " (now " + at + ")");
        }
        if (reason == CertPathValidatorException.BasicReason.NOT_YET_VALID && cert != null) {
            return ChainVerification.failed(Failure.NOT_YET_VALID, which + " is not valid before "
                    + cert.getNotBefore().toInstant() + " (now " + at + ")");
        }
        if (reason == PKIXReason.PATH_TOO_LONG) {
            return ChainVerification.failed(Failure.PATH_LENGTH_EXCEEDED, "path length constraint exceeded at " + which);
        }
        if (reason == PKIXReason.NO_TRUST_ANCHOR) {
            X509Certificate top = path.get(path.size() - 1);
            return ChainVerification.failed(Failure.UNKNOWN_ISSUER, "no root of the bundle issued "
                    + Certificates.subject(top) + " (issuer " + top.getIssuerX500Principal().getName() + ": "
                    + whyNoAnchor(top, path.size(), roots) + ")");
        }
        if (reason == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return ChainVerification.failed(Failure.INVALID_CHAIN, "signature of " + which + " does not verify");
        }
        return ChainVerification.failed(Failure.INVALID_CHAIN, which + ": " + e.getMessage());
    }

    /** Why no anchor was found for {@code top}, the last certificate of the path, in words a user can act on. */
    private static String whyNoAnchor(X509Certificate top, int pathLength, Collection<X509Certificate> roots) {
        for (X509Certificate r : roots) {
            if (r.getSubjectX500Principal().equals(top.getIssuerX500Principal())) {
                return "the bundle has a root of that name, but another key signed this chain: a different root";
            }
        }
        if (pathLength == 1 && !selfSigned(top)) {
            return "not a root of the bundle; the chain holds only the leaf: are its intermediates missing?";
        }
        return "not a root of the bundle";
    }
}
