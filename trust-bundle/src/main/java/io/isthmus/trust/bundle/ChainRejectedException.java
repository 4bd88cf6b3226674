package io.isthmus.trust.bundle;

import io.isthmus.trust.TrustException;
import java.util.Objects;

/** A peer chain the trust bundle refused; {@link #failure()} says why. */
public final class ChainRejectedException extends TrustException {
    private static final long serialVersionUID = 1L;
    private final ChainVerification.Failure failure;

    public ChainRejectedException(ChainVerification.Failure failure, String message) {
        super(Objects.requireNonNull(failure, "failure") + ": " + message);
        this.failure = failure;
    }

    /** Why the chain was refused. */
    public ChainVerification.Failure failure() {
        return failure;
    }
}
