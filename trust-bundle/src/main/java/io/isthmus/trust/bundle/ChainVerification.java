package io.isthmus.trust.bundle;

import io.isthmus.trust.SpiffeId;
import java.util.Objects;

/**
 * The outcome of verifying a peer chain: the peer's SPIFFE ID, or the reason it was refused.
 *
 * @param peer the verified SPIFFE ID, or {@code null} on failure (and for plain path validation)
 * @param failure why the chain was refused, or {@code null} on success
 * @param message a sentence naming the certificate and what was wrong, or {@code "ok"}
 */
public record ChainVerification(SpiffeId peer, Failure failure, String message) {

    /** Why a chain was refused. */
    public enum Failure {
        /** A certificate in the chain (or the root) is past its notAfter. */
        EXPIRED,
        /** A certificate in the chain (or the root) is before its notBefore. */
        NOT_YET_VALID,
        /** The chain does not lead to any root of the bundle. */
        UNKNOWN_ISSUER,
        /** The leaf's SPIFFE ID is in a trust domain the bundle does not accept. */
        WRONG_TRUST_DOMAIN,
        /** A CA's basicConstraints path length is exceeded. */
        PATH_LENGTH_EXCEEDED,
        /** The leaf is not an X.509-SVID: no single valid SPIFFE URI SAN, or it is a CA. */
        NOT_SPIFFE,
        /** The chain is empty or otherwise invalid (bad signature, wrong key usage, malformed). */
        INVALID_CHAIN
    }

    public ChainVerification {
        Objects.requireNonNull(message, "message");
        if (failure != null && peer != null) {
            throw new IllegalArgumentException("a failed verification has no peer");
        }
    }

    static ChainVerification success(SpiffeId peer) {
        return new ChainVerification(peer, null, "ok");
    }

    static ChainVerification failed(Failure failure, String message) {
        return new ChainVerification(null, Objects.requireNonNull(failure, "failure"), message);
    }

    /** True when the chain was accepted. */
    public boolean ok() {
        return failure == null;
    }

    /** The peer ID, or a {@link ChainRejectedException} with the failure. */
    public SpiffeId peerOrThrow() {
        if (failure != null) {
            throw new ChainRejectedException(failure, message);
        }
        return peer;
    }

    @Override
    public String toString() {
        return ok() ? "accepted " + peer : failure + ": " + message;
    }
}
