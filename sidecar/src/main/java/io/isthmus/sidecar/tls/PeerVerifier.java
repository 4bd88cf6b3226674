package io.isthmus.sidecar.tls;

import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a peer's certificate chain: it must chain to a root of the current trust bundle, carry a
 * SPIFFE ID in the workload's own trust domain, and — when the cluster names expected identities —
 * match one of them.
 */
final class PeerVerifier {

    private PeerVerifier() {
    }

    /**
     * Verifies the chain and returns the peer's SPIFFE ID.
     *
     * @throws CertificateException naming what was wrong
     */
    static String verify(X509Certificate[] chain, TlsMaterial material, SanMatchers expected)
            throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("peer presented no certificate");
        }
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate root : material.trustRoots()) {
                anchors.add(new TrustAnchor(root, null));
            }
            List<X509Certificate> path = new ArrayList<>();
            for (X509Certificate c : chain) {
                if (!isSelfSignedRoot(c, material)) {
                    path.add(c);
                }
            }
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (CertificateException e) {
            throw e;
        } catch (Exception e) {
            throw new CertificateException("peer chain does not verify against the trust bundle: " + e.getMessage(), e);
        }
        String id = SpiffeIdentity.uriSan(chain[0])
                .orElseThrow(() -> new CertificateException("peer certificate has no SPIFFE ID"));
        String ownDomain = trustDomain(material.spiffeId());
        if (!ownDomain.isEmpty() && !ownDomain.equals(trustDomain(id))) {
            throw new CertificateException("peer " + id + " is not in trust domain " + ownDomain);
        }
        if (!expected.matches(id)) {
            throw new CertificateException("peer " + id + " matches none of the expected identities " + expected);
        }
        return id;
    }

    private static boolean isSelfSignedRoot(X509Certificate c, TlsMaterial material) {
        return c.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && material.trustRoots().contains(c);
    }

    static String trustDomain(String spiffeId) {
        if (!spiffeId.startsWith("spiffe://")) {
            return "";
        }
        String rest = spiffeId.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
