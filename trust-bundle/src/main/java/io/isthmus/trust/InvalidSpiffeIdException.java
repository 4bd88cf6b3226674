package io.isthmus.trust;

/** A string that is not a valid SPIFFE ID; the message quotes the input and says which rule it broke. */
public final class InvalidSpiffeIdException extends TrustException {
    private static final long serialVersionUID = 1L;

    public InvalidSpiffeIdException(String input, String reason) {
        super("invalid SPIFFE ID '" + input + "': " + reason);
    }
}
