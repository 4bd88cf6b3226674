package io.isthmus.sidecar.cert;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * A trust manager that verifies a peer's chain against the {@link CertificateSource}'s current
 * trust bundle (read on every handshake, so a new root from SDS applies at once) and then checks
 * the peer's leaf with a predicate (expected SPIFFE ID or DNS name). Host-name verification is
 * this predicate's job, not the TLS engine's.
 */
public final class MeshTrustManager extends X509ExtendedTrustManager {
    private final CertificateSource source;
    private final Predicate<X509Certificate> peerCheck;
    private final String expected;

    /**
     * Creates a trust manager.
     *
     * @param source    where the trust bundle comes from
     * @param peerCheck accepts or refuses the verified leaf
     * @param expected  what {@code peerCheck} wants, for the error message
     */
    public MeshTrustManager(CertificateSource source, Predicate<X509Certificate> peerCheck, String expected) {
        this.source = Objects.requireNonNull(source, "source");
        this.peerCheck = Objects.requireNonNull(peerCheck, "peerCheck");
        this.expected = Objects.requireNonNull(expected, "expected");
    }

    /**
     * Accepts the controller: DNS SAN {@code serverName}, or the SPIFFE ID of the controller's
     * service account ({@code .../ns/isthmus-system/sa/isthmus-controller}).
     */
    public static MeshTrustManager forControlPlane(CertificateSource source, String serverName) {
        return new MeshTrustManager(source, leaf -> Pem.dnsNames(leaf).contains(serverName)
                || Pem.spiffeId(leaf).endsWith("/ns/isthmus-system/sa/isthmus-controller"),
                "DNS " + serverName + " or the controller's SPIFFE ID");
    }

    /** Verifies {@code chain} (leaf first) against the current bundle, then checks the leaf. */
    public void verify(X509Certificate[] chain) throws java.security.cert.CertificateException {
        if (chain == null || chain.length == 0) {
            throw new java.security.cert.CertificateException("peer sent no certificate");
        }
        List<X509Certificate> roots = source.trustAnchors().roots();
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!roots.contains(c)) {
                path.add(c);
            }
        }
        try {
            Set<TrustAnchor> anchors = roots.stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toSet());
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
            CertPathValidator.getInstance("PKIX").validate(cp, params);
        } catch (GeneralSecurityException e) {
            throw new java.security.cert.CertificateException("peer chain not trusted by the mesh roots ("
                    + source.trustAnchors().source() + "): " + e.getMessage(), e);
        }
        if (!peerCheck.test(chain[0])) {
            throw new java.security.cert.CertificateException("peer " + chain[0].getSubjectX500Principal()
                    + " (" + Pem.spiffeId(chain[0]) + ") is not " + expected);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
            throws java.security.cert.CertificateException {
        verify(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return source.trustAnchors().roots().toArray(X509Certificate[]::new);
    }
}
