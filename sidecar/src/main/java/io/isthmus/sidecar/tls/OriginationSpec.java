package io.isthmus.sidecar.tls;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS that the proxy originates to a server outside the mesh (a {@code DestinationRule} with
 * {@code tls.mode: SIMPLE | MUTUAL}): which CAs verify the server, which subject alternative names
 * it must present, and which client certificate (MUTUAL) to present.
 *
 * @param trust where the server's chain must lead
 * @param subjectAltNames the server's certificate must carry a SAN matching one of these; empty = any
 * @param clientCertificate the client certificate to present; empty for SIMPLE
 */
public record OriginationSpec(CaSource trust, List<SanRule> subjectAltNames, Optional<ClientCertificate> clientCertificate) {

    public OriginationSpec {
        Objects.requireNonNull(trust, "trust");
        subjectAltNames = List.copyOf(subjectAltNames);
        Objects.requireNonNull(clientCertificate, "clientCertificate");
    }

    /**
     * The trust anchors of the server's chain.
     *
     * @param kind where they are
     * @param value the file path, the PEM text, or the SDS secret name; empty for {@link Kind#NONE}
     */
    public record CaSource(Kind kind, String value) {
        public CaSource {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(value, "value");
        }

        /** Where trust anchors come from. */
        public enum Kind {
            /** {@code trusted_ca.filename}, re-read when the file changes. */
            FILE,
            /** {@code trusted_ca.inline_bytes} or {@code inline_string}. */
            INLINE,
            /** A validation-context SDS secret ({@code kubernetes://<name>-cacert}). */
            SDS,
            /** No verification ({@code trust_chain_verification: ACCEPT_UNTRUSTED}, or no validation context). */
            NONE
        }

        @Override
        public String toString() {
            return kind == Kind.INLINE ? "inline" : kind == Kind.NONE ? "none" : kind.name().toLowerCase() + ":" + value;
        }
    }

    /**
     * One expected subject alternative name.
     *
     * @param type which SANs of the certificate it is compared with
     * @param matcher how
     */
    public record SanRule(SanType type, SanMatchers.SanMatcher matcher) {
        public SanRule {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(matcher, "matcher");
        }

        @Override
        public String toString() {
            return type.name().toLowerCase() + ":" + matcher;
        }
    }

    /** The SAN types of Envoy's {@code SubjectAltNameMatcher}; {@link #ANY} is the legacy untyped matcher. */
    public enum SanType { DNS, URI, EMAIL, IP_ADDRESS, ANY }

    /**
     * The client certificate of a MUTUAL origination.
     *
     * @param secret the SDS secret name; {@code default} = the workload certificate
     */
    public record ClientCertificate(String secret) {
        public ClientCertificate {
            Objects.requireNonNull(secret, "secret");
        }
    }
}
