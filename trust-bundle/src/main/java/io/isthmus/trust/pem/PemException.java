package io.isthmus.trust.pem;

import io.isthmus.trust.TrustException;

/** PEM text or a PEM file that could not be read or written; the message names the source and the problem. */
public final class PemException extends TrustException {
    private static final long serialVersionUID = 1L;

    public PemException(String message) {
        super(message);
    }

    public PemException(String message, Throwable cause) {
        super(message, cause);
    }
}
