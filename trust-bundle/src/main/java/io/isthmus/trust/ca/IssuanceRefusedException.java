package io.isthmus.trust.ca;

import io.isthmus.trust.TrustException;
import java.util.Objects;

/** A certificate request the CA refused; {@link #refusal()} says which rule it broke. */
public final class IssuanceRefusedException extends TrustException {
    private static final long serialVersionUID = 1L;

    /** The rule a refused request broke. */
    public enum Refusal {
        /** The CSR is not a well-formed PKCS#10 request. */
        MALFORMED_CSR,
        /** The CSR's self-signature does not verify with its public key. */
        BAD_CSR_SIGNATURE,
        /** The CSR asks for a CA certificate (basicConstraints cA=true or keyCertSign). */
        CA_REQUESTED,
        /** The CSR carries no URI SAN. */
        MISSING_SPIFFE_ID,
        /** The CSR has SANs besides its single SPIFFE URI. */
        EXTRA_SAN,
        /** The CSR's URI SAN is not a valid SPIFFE ID. */
        INVALID_SPIFFE_ID,
        /** The requested SPIFFE ID is in another trust domain than the CA's. */
        WRONG_TRUST_DOMAIN,
        /** The requested SPIFFE ID is not the identity the caller was authenticated as. */
        IDENTITY_MISMATCH,
        /** The CSR's key is of an unsupported type or too weak. */
        UNSUPPORTED_KEY,
        /** The requested lifetime is invalid. */
        INVALID_TTL,
        /** The CA's own certificate (or one of its issuers) has expired or is not yet valid. */
        CA_NOT_VALID
    }

    private final Refusal refusal;

    public IssuanceRefusedException(Refusal refusal, String message) {
        super(Objects.requireNonNull(refusal, "refusal") + ": " + message);
        this.refusal = refusal;
    }

    /** Which rule the request broke. */
    public Refusal refusal() {
        return refusal;
    }
}
