package io.isthmus.sidecar.cert;

import io.isthmus.sidecar.tls.SpiffeIdentity;
import io.isthmus.trust.pem.Pem;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The proxy's own certificate (SDS secret {@code default}): private key, chain (leaf first) and
 * the same in PEM, ready for a Netty {@code SslContextBuilder} or Vert.x {@code PemKeyCertOptions}.
 *
 * @param key      the private key (EC P-256 when issued by the mesh CA)
 * @param chain    leaf first, then intermediates (the root may or may not be included)
 * @param keyPem   {@code key} as PKCS#8 PEM
 * @param chainPem {@code chain} as concatenated PEM certificates
 * @param spiffeId the leaf's URI SAN, {@code spiffe://<td>/ns/<ns>/sa/<sa>} ("" if it has none)
 */
public record WorkloadCertificate(PrivateKey key, List<X509Certificate> chain, String keyPem, String chainPem,
                                  String spiffeId) {

    public WorkloadCertificate {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty");
        }
        Objects.requireNonNull(keyPem, "keyPem");
        Objects.requireNonNull(chainPem, "chainPem");
        Objects.requireNonNull(spiffeId, "spiffeId");
    }

    /** The certificate of {@code key} and {@code chain}, with their PEM and the leaf's SPIFFE ID. */
    public static WorkloadCertificate of(PrivateKey key, List<X509Certificate> chain) {
        return new WorkloadCertificate(key, chain, Pem.encodePrivateKey(key), Pem.encodeCertificates(chain),
                SpiffeIdentity.uriSan(chain.get(0)).orElse(""));
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** When the leaf was issued. */
    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    /** When the leaf expires. */
    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }
}
