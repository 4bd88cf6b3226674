package io.isthmus.trust;

import io.isthmus.trust.pem.Pem;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A private key with its certificate chain (leaf first, then intermediates, optionally the root): what a
 * proxy presents in a TLS handshake and what a CA signs with.
 *
 * <p>The constructor checks that the key is the private half of the leaf's public key.
 *
 * @param privateKey the leaf's private key
 * @param chain the leaf certificate followed by its issuers, never empty
 */
public record CertifiedKey(PrivateKey privateKey, List<X509Certificate> chain) {

    public CertifiedKey {
        Objects.requireNonNull(privateKey, "privateKey");
        chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
        if (chain.isEmpty()) {
            throw new TrustException("a certified key needs at least one certificate");
        }
        if (!Certificates.keyMatches(privateKey, chain.get(0).getPublicKey())) {
            throw new TrustException("the private key does not match the certificate "
                    + Certificates.subject(chain.get(0)) + " (its public key belongs to another key pair)");
        }
    }

    /** Reads a key and its chain from two PEM texts, checking that they belong together. */
    public static CertifiedKey fromPem(String privateKeyPem, String chainPem) {
        return new CertifiedKey(Pem.readPrivateKey(privateKeyPem), Pem.readCertificates(chainPem));
    }

    /** The leaf certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The leaf's SPIFFE ID, when it has exactly one valid SPIFFE URI SAN. */
    public Optional<SpiffeId> spiffeId() {
        try {
            return Optional.of(Certificates.spiffeId(certificate()));
        } catch (TrustException e) {
            return Optional.empty();
        }
    }

    /** The leaf's notBefore. */
    public Instant notBefore() {
        return certificate().getNotBefore().toInstant();
    }

    /** The leaf's notAfter. */
    public Instant notAfter() {
        return certificate().getNotAfter().toInstant();
    }

    /** The leaf's whole validity period, notBefore to notAfter. */
    public Duration lifetime() {
        return Duration.between(notBefore(), notAfter());
    }

    /** The chain as concatenated PEM certificates (what Envoy's {@code certificate_chain} holds). */
    public String chainPem() {
        return Pem.encodeCertificates(chain);
    }

    /** The key as a PKCS#8 PEM block (what Envoy's {@code private_key} holds). */
    public String privateKeyPem() {
        return Pem.encodePrivateKey(privateKey);
    }

    @Override
    public String toString() {
        return "CertifiedKey[" + Certificates.subject(certificate()) + spiffeId().map(id -> " " + id).orElse("")
                + ", notAfter=" + notAfter() + ", chain=" + chain.size() + "]";
    }
}
