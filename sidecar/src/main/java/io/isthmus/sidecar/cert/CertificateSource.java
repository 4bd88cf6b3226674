package io.isthmus.sidecar.cert;

import io.isthmus.trust.tls.SwappableKeyManager;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the data plane gets the proxy's certificate and trust bundle, with notifications when
 * either changes (rotation, a new root from SDS). The data path's TLS reads {@link #certificate()}
 * and {@link #trustAnchors()} for every new handshake (or rebuilds its SSL contexts in a listener)
 * so that new connections use the new material while open ones keep going.
 *
 * <p>Thread-safe; listeners run on the thread that made the change (a renewal or the xDS thread)
 * and must return quickly.
 */
public interface CertificateSource {

    /** The current workload certificate, empty until the first one is obtained. */
    Optional<WorkloadCertificate> certificate();

    /** The current trust bundle: {@code --root-cert} (or the cert dir) until SDS {@code ROOTCA} replaces it. */
    TrustAnchors trustAnchors();

    /** The key manager presenting {@link #certificate()} (nothing until the first one); TLS contexts keep this one instance. */
    SwappableKeyManager keyManager();

    /** Calls {@code listener} with every new certificate; returns a handle that stops the calls. */
    Subscription onCertificate(Consumer<WorkloadCertificate> listener);

    /** Calls {@code listener} with every new trust bundle; returns a handle that stops the calls. */
    Subscription onTrustAnchors(Consumer<TrustAnchors> listener);

    /** Stops a listener. */
    @FunctionalInterface
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }
}
