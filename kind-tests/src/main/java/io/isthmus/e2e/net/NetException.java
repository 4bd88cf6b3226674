package io.isthmus.e2e.net;

/** A network set-up step that failed; the message names the command or the address at fault. */
public final class NetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A network error with its message. */
    public NetException(String message) {
        super(message);
    }

    /** A network error with its message and cause. */
    public NetException(String message, Throwable cause) {
        super(message, cause);
    }
}
