package io.isthmus.sidecar.bootstrap;

/** A bootstrap that cannot be used; the message names the file, the field and what is wrong. */
public final class BootstrapException extends RuntimeException {

    /** Creates the exception with a message naming the field. */
    public BootstrapException(String message) {
        super(message);
    }

    /** Creates the exception with a message naming the field, and its cause. */
    public BootstrapException(String message, Throwable cause) {
        super(message, cause);
    }
}
