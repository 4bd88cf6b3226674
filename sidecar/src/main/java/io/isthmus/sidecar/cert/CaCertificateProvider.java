package io.isthmus.sidecar.cert;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.rotate.CertificateRotator;
import io.isthmus.trust.rotate.RotationPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps the proxy's certificate from the mesh CA: a fresh EC P-256 key and CSR for the proxy's
 * SPIFFE ID on every renewal, signed through {@link CaClient}, renewed by trust-bundle's
 * {@link CertificateRotator} at half the lifetime (with jitter, retries with backoff), each new
 * certificate put in force in the {@link CertificateStore} (hot swap: new handshakes use it).
 */
public final class CaCertificateProvider implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaCertificateProvider.class);

    private final CaClient ca;
    private final CertificateRotator rotator;

    /**
     * Creates the provider; {@link #start()} asks for the first certificate.
     *
     * @param id     the proxy's identity
     * @param ca     the CA client (owned from now on)
     * @param ttl    lifetime to ask for
     * @param store  where certificates are put in force
     * @param policy when to renew (trust-bundle's default: 50 % of the lifetime)
     */
    public CaCertificateProvider(SpiffeId id, CaClient ca, Duration ttl, CertificateStore store, RotationPolicy policy) {
        Objects.requireNonNull(id, "id");
        this.ca = Objects.requireNonNull(ca, "ca");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(store, "store");
        this.rotator = CertificateRotator.forCsr(id, csr -> ca.sign(csr, ttl)).policy(policy).build()
                .addListener(k -> store.setCertificate(WorkloadCertificate.of(k.privateKey(), k.chain())));
        LOG.info("Certificate from the CA [{}] ttl={}", id, ttl);
    }

    /** Asks for the first certificate (retrying until it succeeds); completes when it is in force. */
    public CompletableFuture<CertifiedKey> start() {
        return rotator.start();
    }

    /** Renews now (tests, operators). */
    public CompletableFuture<CertifiedKey> rotateNow() {
        return rotator.rotateNow();
    }

    @Override
    public void close() {
        rotator.close();
        ca.close();
    }
}
