package io.isthmus.sidecar.tls;

import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.bundle.TrustBundle;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The workload's certificate material at one moment: its private key, its chain (leaf first) and
 * the trust bundle (every root the mesh currently trusts).
 *
 * @param key the private key of the leaf
 * @param chain leaf first, then intermediates; the root may be included
 * @param trustRoots the roots peers must chain to; at least one
 */
public record TlsMaterial(PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trustRoots) {

    public TlsMaterial {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        trustRoots = List.copyOf(trustRoots);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain must hold at least the leaf");
        }
        if (trustRoots.isEmpty()) {
            throw new IllegalArgumentException("trustRoots must hold at least one root");
        }
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The SPIFFE ID of the leaf, or empty text when it has none. */
    public String spiffeId() {
        return SpiffeIdentity.uriSan(leaf()).orElse("");
    }

    /** The trust bundle peers are verified against, or {@code null} when the roots cannot form one; see {@link #trustBundle(String, List)}. */
    public TrustBundle trustBundle() {
        return trustBundle(spiffeId(), trustRoots);
    }

    /**
     * The roots as a trust bundle of the workload's own trust domain: that of {@code ownSpiffeId}, or
     * {@value SpiffeId#DEFAULT_TRUST_DOMAIN} when it is empty or no SPIFFE ID. {@code null} when the
     * roots do not form a bundle (none, or one that is not a CA), so a handshake is refused.
     */
    public static TrustBundle trustBundle(String ownSpiffeId, List<X509Certificate> roots) {
        String domain = SpiffeId.DEFAULT_TRUST_DOMAIN;
        if (ownSpiffeId != null && !ownSpiffeId.isEmpty()) {
            try {
                domain = SpiffeId.parse(ownSpiffeId).trustDomain();
            } catch (TrustException e) {
                domain = SpiffeId.DEFAULT_TRUST_DOMAIN;
            }
        }
        try {
            return TrustBundle.of(domain, roots);
        } catch (TrustException e) {
            return null;
        }
    }
}
