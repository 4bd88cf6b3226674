package io.isthmus.trust;

/**
 * The root of trust-bundle's exception family: a PKI operation that could not be done, with a
 * message that names what was wrong.
 */
public class TrustException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TrustException(String message) {
        super(message);
    }

    public TrustException(String message, Throwable cause) {
        super(message, cause);
    }
}
