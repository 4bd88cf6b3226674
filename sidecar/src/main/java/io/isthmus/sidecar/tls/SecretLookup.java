package io.isthmus.sidecar.tls;

import io.isthmus.trust.CertifiedKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The named SDS secrets in force (e.g. {@code kubernetes://egress-client},
 * {@code kubernetes://egress-client-cacert}), read by upstream TLS origination at every handshake so
 * a rotated secret is used by the next connection. Implementations must be thread-safe.
 */
public interface SecretLookup {

    /** No secrets at all. */
    SecretLookup NONE = new SecretLookup() {
        @Override
        public Optional<CertifiedKey> certificate(String name) {
            return Optional.empty();
        }

        @Override
        public Optional<List<X509Certificate>> trustedCa(String name) {
            return Optional.empty();
        }
    };

    /** A lookup from two functions (e.g. the methods of the data plane's named secret store). */
    static SecretLookup of(Function<String, Optional<CertifiedKey>> certificates,
                           Function<String, Optional<List<X509Certificate>>> trustedCas) {
        Objects.requireNonNull(certificates, "certificates");
        Objects.requireNonNull(trustedCas, "trustedCas");
        return new SecretLookup() {
            @Override
            public Optional<CertifiedKey> certificate(String name) {
                return certificates.apply(name);
            }

            @Override
            public Optional<List<X509Certificate>> trustedCa(String name) {
                return trustedCas.apply(name);
            }
        };
    }

    /** The key and chain of a {@code tls_certificate} secret, if it has arrived. */
    Optional<CertifiedKey> certificate(String name);

    /** The CA certificates of a {@code validation_context} secret, if it has arrived. */
    Optional<List<X509Certificate>> trustedCa(String name);
}
