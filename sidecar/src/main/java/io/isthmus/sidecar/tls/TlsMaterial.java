package io.isthmus.sidecar.tls;

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
}
