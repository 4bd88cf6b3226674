package io.isthmus.sidecar.tls;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.tls.SwappableKeyManager;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SDS secrets other than the workload's own ({@code default}, {@code ROOTCA}): gateway
 * credentials {@code kubernetes://<name>} (certificate and key) and {@code kubernetes://<name>-cacert}
 * (trusted CAs). Each name has one {@link SwappableKeyManager} and one {@link NamedTrustManager}
 * for its whole life, updated in place when a new version arrives, so TLS contexts built once use
 * the newest secret at their next handshake and open connections are untouched. Thread-safe.
 */
public final class NamedSecrets implements SecretLookup {

    private static final Logger LOG = LoggerFactory.getLogger(NamedSecrets.class);

    private final Map<String, SwappableKeyManager> keyManagers = new ConcurrentHashMap<>();
    private final Map<String, NamedTrustManager> trustManagers = new ConcurrentHashMap<>();
    private volatile Map<String, Secret> current = Map.of();
    private final List<Consumer<Set<String>>> listeners = new CopyOnWriteArrayList<>();

    /** The key manager presenting the certificate of secret {@code name}; presents nothing until it arrives. */
    public SwappableKeyManager keyManager(String name) {
        return keyManagers.computeIfAbsent(name, n -> {
            SwappableKeyManager km = new SwappableKeyManager();
            certifiedKey(current.get(n)).ifPresent(km::set);
            return km;
        });
    }

    /** The trust manager verifying peers against the CAs of secret {@code name}; refuses every peer until it arrives. */
    public NamedTrustManager trustManager(String name) {
        return trustManagers.computeIfAbsent(name, n -> {
            NamedTrustManager tm = new NamedTrustManager(n);
            caCertificates(current.get(n)).ifPresent(tm::set);
            return tm;
        });
    }

    /** Whether a secret of that name is held now. */
    public boolean has(String name) {
        return current.containsKey(name);
    }

    /** The CA certificates of a validation-context secret, when held (for upstream TLS). */
    @Override
    public Optional<List<X509Certificate>> trustedCa(String name) {
        return caCertificates(current.get(name));
    }

    /** The certificate and key of a TLS-certificate secret, when held (for upstream TLS). */
    @Override
    public Optional<CertifiedKey> certificate(String name) {
        return certifiedKey(current.get(name));
    }

    /** Calls {@code listener} with the changed names after every applied update. */
    public void onChange(Consumer<Set<String>> listener) {
        listeners.add(listener);
    }

    /**
     * Puts exactly these secrets in force (all validated first; on error nothing changes).
     *
     * @throws InvalidResourceException naming the secret and field that cannot be used
     */
    public void apply(Map<String, Secret> secrets) throws InvalidResourceException {
        Map<String, CertifiedKey> keys = new HashMap<>();
        Map<String, List<X509Certificate>> cas = new HashMap<>();
        for (var e : secrets.entrySet()) {
            Secret s = e.getValue();
            switch (s.getTypeCase()) {
                case TLS_CERTIFICATE -> keys.put(e.getKey(), parseKey(e.getKey(), s));
                case VALIDATION_CONTEXT -> cas.put(e.getKey(), parseCa(e.getKey(), s));
                default -> throw invalid(e.getKey(), "type", "only tls_certificate and validation_context secrets are supported, got "
                        + s.getTypeCase());
            }
        }
        Map<String, Secret> before = current;
        current = Map.copyOf(secrets);
        keys.forEach((n, k) -> {
            SwappableKeyManager km = keyManagers.get(n);
            if (km != null) {
                km.set(k);
            }
        });
        cas.forEach((n, c) -> {
            NamedTrustManager tm = trustManagers.get(n);
            if (tm != null) {
                tm.set(c);
            }
        });
        Set<String> changed = new java.util.TreeSet<>();
        secrets.forEach((n, s) -> {
            if (!s.equals(before.get(n))) {
                changed.add(n);
            }
        });
        before.keySet().stream().filter(n -> !secrets.containsKey(n)).forEach(changed::add);
        if (!changed.isEmpty()) {
            LOG.info("secrets updated [{}]", String.join(",", changed));
            listeners.forEach(l -> l.accept(Set.copyOf(changed)));
        }
    }

    private static Optional<CertifiedKey> certifiedKey(Secret s) {
        if (s == null || !s.hasTlsCertificate()) {
            return Optional.empty();
        }
        try {
            return Optional.of(parseKey(s.getName(), s));
        } catch (InvalidResourceException e) {
            return Optional.empty();
        }
    }

    private static Optional<List<X509Certificate>> caCertificates(Secret s) {
        if (s == null || !s.hasValidationContext()) {
            return Optional.empty();
        }
        try {
            return Optional.of(parseCa(s.getName(), s));
        } catch (InvalidResourceException e) {
            return Optional.empty();
        }
    }

    private static CertifiedKey parseKey(String name, Secret s) throws InvalidResourceException {
        var t = s.getTlsCertificate();
        String chain = text(name, "tls_certificate.certificate_chain", t.getCertificateChain());
        String key = text(name, "tls_certificate.private_key", t.getPrivateKey());
        if (t.hasPassword() || t.hasOcspStaple() || t.getSignedCertificateTimestampCount() > 0 || t.hasPrivateKeyProvider()) {
            throw invalid(name, "tls_certificate", "only certificate_chain and private_key are supported");
        }
        try {
            return CertifiedKey.fromPem(key, chain);
        } catch (TrustException | IllegalArgumentException e) {
            throw invalid(name, "tls_certificate", e.getMessage());
        }
    }

    private static List<X509Certificate> parseCa(String name, Secret s) throws InvalidResourceException {
        var vc = s.getValidationContext();
        if (!vc.hasTrustedCa()) {
            throw invalid(name, "validation_context.trusted_ca", "missing");
        }
        String pem = text(name, "validation_context.trusted_ca", vc.getTrustedCa());
        try {
            List<X509Certificate> certs = Pem.readCertificates(pem);
            if (certs.isEmpty()) {
                throw invalid(name, "validation_context.trusted_ca", "no certificate in the PEM");
            }
            return certs;
        } catch (TrustException | IllegalArgumentException e) {
            throw invalid(name, "validation_context.trusted_ca", e.getMessage());
        }
    }

    private static String text(String name, String field, DataSource ds) throws InvalidResourceException {
        return switch (ds.getSpecifierCase()) {
            case INLINE_BYTES -> ds.getInlineBytes().toString(StandardCharsets.UTF_8);
            case INLINE_STRING -> ds.getInlineString();
            default -> throw invalid(name, field, "only inline_bytes or inline_string are supported, got " + ds.getSpecifierCase());
        };
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.SECRET, name, field, reason);
    }
}
