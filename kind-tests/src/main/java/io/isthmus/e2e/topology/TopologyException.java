package io.isthmus.e2e.topology;

/** A topology that cannot be used; the message names the file and the field that was wrong. */
public final class TopologyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A topology error with its message. */
    public TopologyException(String message) {
        super(message);
    }

    /** A topology error with its message and cause. */
    public TopologyException(String message, Throwable cause) {
        super(message, cause);
    }
}
