package io.isthmus.sidecar.cert;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.xds.ResourceHandler;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.isthmus.sidecar.xds.XdsResourceType;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.tls.SwappableKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The proxy's {@link CertificateSource}: holds the current certificate and trust bundle, tells
 * listeners about changes, and takes SDS {@code ROOTCA} from the xDS client
 * ({@link #rootCaHandler()}), which replaces the {@code --root-cert} bundle. Thread-safe.
 */
public final class CertificateStore implements CertificateSource {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateStore.class);
    private static final String SECRET_URL = XdsResourceType.SECRET.typeUrl();

    private final AtomicReference<WorkloadCertificate> certificate = new AtomicReference<>();
    private final AtomicReference<TrustAnchors> anchors;
    private final SwappableKeyManager keyManager = new SwappableKeyManager();
    private final CopyOnWriteArrayList<Consumer<WorkloadCertificate>> certListeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Consumer<TrustAnchors>> anchorListeners = new CopyOnWriteArrayList<>();

    /** Creates a store trusting {@code initial} until something replaces it. */
    public CertificateStore(TrustAnchors initial) {
        this.anchors = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
    }

    @Override
    public Optional<WorkloadCertificate> certificate() {
        return Optional.ofNullable(certificate.get());
    }

    @Override
    public TrustAnchors trustAnchors() {
        return anchors.get();
    }

    @Override
    public SwappableKeyManager keyManager() {
        return keyManager;
    }

    /**
     * Puts a new certificate in force and tells the listeners.
     *
     * @throws CertificateException when the key does not belong to the leaf (the certificate in force stays)
     */
    public void setCertificate(WorkloadCertificate cert) {
        Objects.requireNonNull(cert, "cert");
        CertifiedKey key;
        try {
            key = new CertifiedKey(cert.key(), cert.chain());
        } catch (TrustException e) {
            throw new CertificateException("certificate " + cert.spiffeId() + ": " + e.getMessage(), e);
        }
        WorkloadCertificate old = certificate.getAndSet(cert);
        keyManager.set(key);
        if (old != null && old.leaf().equals(cert.leaf())) {
            return;
        }
        LOG.info("Workload certificate in force [{}] serial={} notAfter={}", cert.spiffeId(),
                cert.leaf().getSerialNumber().toString(16), cert.notAfter());
        certListeners.forEach(l -> notify(l, cert));
    }

    /** Puts a new trust bundle in force and tells the listeners (no-op when the roots are the same). */
    public void setTrustAnchors(TrustAnchors next) {
        Objects.requireNonNull(next, "next");
        TrustAnchors old = anchors.getAndSet(next);
        if (old.roots().equals(next.roots())) {
            return;
        }
        LOG.info("Trust bundle in force [{}] roots={}", next.source(), next.roots().size());
        anchorListeners.forEach(l -> notify(l, next));
    }

    private static <T> void notify(Consumer<T> l, T value) {
        try {
            l.accept(value);
        } catch (RuntimeException e) {
            LOG.warn("Certificate listener failed [{}]: {}", l, e.toString());
        }
    }

    @Override
    public Subscription onCertificate(Consumer<WorkloadCertificate> listener) {
        certListeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> certListeners.remove(listener);
    }

    @Override
    public Subscription onTrustAnchors(Consumer<TrustAnchors> listener) {
        anchorListeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> anchorListeners.remove(listener);
    }

    /**
     * The SDS handler: {@code ROOTCA} ({@code validation_context.trusted_ca} inline bytes or
     * string) replaces the trust bundle. Other secret names are rejected; an absent ROOTCA keeps
     * the current bundle (the proxy never drops to trusting nothing).
     */
    public ResourceHandler<Secret> rootCaHandler() {
        return this::applySecrets;
    }

    private void applySecrets(Map<String, Secret> secrets, String version) {
        Secret root = null;
        for (var e : secrets.entrySet()) {
            if (!e.getKey().equals(XdsNames.ROOT_SECRET)) {
                throw new XdsResourceException(SECRET_URL, e.getKey(), "name",
                        "only " + XdsNames.ROOT_SECRET + " is served by SDS; the workload certificate is resolved locally");
            }
            root = e.getValue();
        }
        if (root == null) {
            return;
        }
        if (!root.hasValidationContext() || !root.getValidationContext().hasTrustedCa()) {
            throw new XdsResourceException(SECRET_URL, XdsNames.ROOT_SECRET, "validation_context.trusted_ca", "missing");
        }
        var ds = root.getValidationContext().getTrustedCa();
        String pem = switch (ds.getSpecifierCase()) {
            case INLINE_BYTES -> ds.getInlineBytes().toString(StandardCharsets.UTF_8);
            case INLINE_STRING -> ds.getInlineString();
            default -> throw new XdsResourceException(SECRET_URL, XdsNames.ROOT_SECRET,
                    "validation_context.trusted_ca", "only inline_bytes or inline_string are supported, got "
                    + ds.getSpecifierCase());
        };
        TrustAnchors next;
        try {
            next = TrustAnchors.fromPem(pem, "sds:" + version);
        } catch (CertificateException e) {
            throw new XdsResourceException(SECRET_URL, XdsNames.ROOT_SECRET, "validation_context.trusted_ca",
                    e.getMessage(), e);
        }
        setTrustAnchors(next);
    }
}
