package io.isthmus.trust.tls;

import io.isthmus.trust.Certificates;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/** Reads the SPIFFE ID of the peer of an established TLS session. */
public final class PeerIdentity {

    private PeerIdentity() {
    }

    /** The peer's SPIFFE ID from its leaf certificate, if it presented one with a valid SPIFFE URI SAN. */
    public static Optional<SpiffeId> of(List<? extends Certificate> peerCertificates) {
        if (peerCertificates == null || peerCertificates.isEmpty()
                || !(peerCertificates.get(0) instanceof X509Certificate leaf)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Certificates.spiffeId(leaf));
        } catch (TrustException e) {
            return Optional.empty();
        }
    }

    /** The peer's SPIFFE ID from a session, empty when the peer presented no certificate. */
    public static Optional<SpiffeId> of(SSLSession session) {
        try {
            return of(List.of(session.getPeerCertificates()));
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }
}
