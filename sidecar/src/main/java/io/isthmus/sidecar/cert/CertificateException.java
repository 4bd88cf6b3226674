package io.isthmus.sidecar.cert;

/** A certificate, key or trust bundle the proxy cannot use or obtain; the message says which and why. */
public final class CertificateException extends RuntimeException {

    /** Creates the exception. */
    public CertificateException(String message) {
        super(message);
    }

    /** Creates the exception with its cause. */
    public CertificateException(String message, Throwable cause) {
        super(message, cause);
    }
}
