package io.isthmus.sidecar.tls;

import io.isthmus.trust.pem.Pem;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies the certificate of a server outside the mesh at every handshake: its chain must lead to
 * the CAs of the cluster's {@link OriginationSpec.CaSource} (a file re-read when it changes, inline
 * PEM, or a named SDS secret as it is now), and its subject alternative names must match one of the
 * expected ones (DNS names with Envoy's wildcard rule: {@code *.example.com} in the certificate
 * covers one label). A refusal is logged with the cluster and the reason, and fails the handshake
 * (the request then fails with {@code UF}). Thread-safe.
 */
final class OriginationTrustManager extends X509ExtendedTrustManager {

    private static final Logger LOG = LoggerFactory.getLogger(OriginationTrustManager.class);
    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;
    private static final int SAN_IP = 7;

    private final String cluster;
    private final OriginationSpec spec;
    private final SecretLookup secrets;
    private final AtomicReference<Anchors> anchors = new AtomicReference<>();
    private final AtomicReference<FileCa> fileCa = new AtomicReference<>();

    /** The PKIX verifier built for one set of CA certificates. */
    private record Anchors(List<X509Certificate> cas, X509TrustManager pkix) {
    }

    /** A CA file as last read. */
    private record FileCa(FileTime modified, long size, List<X509Certificate> cas) {
    }

    OriginationTrustManager(String cluster, OriginationSpec spec, SecretLookup secrets) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.spec = Objects.requireNonNull(spec, "spec");
        this.secrets = Objects.requireNonNull(secrets, "secrets");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        verify(chain, authType, engine == null ? "" : engine.getPeerHost());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        verify(chain, authType, "");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain, authType, "");
    }

    private void verify(X509Certificate[] chain, String authType, String peerHost) throws CertificateException {
        try {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server presented no certificate");
            }
            if (spec.trust().kind() != OriginationSpec.CaSource.Kind.NONE) {
                X509TrustManager pkix = pkix();
                try {
                    pkix.checkServerTrusted(chain, authType == null || authType.isEmpty() ? "UNKNOWN" : authType);
                } catch (CertificateException e) {
                    throw new CertificateException("certificate chain of " + chain[0].getSubjectX500Principal().getName()
                            + " does not lead to the trusted CA (" + spec.trust() + "): " + e.getMessage(), e);
                }
                checkSans(chain[0]);
            }
        } catch (CertificateException e) {
            LOG.warn("upstream TLS verification failed [{}] peer={}: {}", cluster, peerHost, e.getMessage());
            throw e;
        }
    }

    private void checkSans(X509Certificate leaf) throws CertificateException {
        if (spec.subjectAltNames().isEmpty()) {
            return;
        }
        List<String> presented = new ArrayList<>();
        Collection<List<?>> sans;
        try {
            sans = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new CertificateException("cannot read the subject alternative names: " + e.getMessage(), e);
        }
        if (sans != null) {
            for (List<?> san : sans) {
                if (san.size() < 2 || !(san.get(0) instanceof Integer type) || !(san.get(1) instanceof String value)) {
                    continue;
                }
                presented.add(label(type) + ":" + value);
                for (OriginationSpec.SanRule rule : spec.subjectAltNames()) {
                    if (matches(rule, type, value)) {
                        return;
                    }
                }
            }
        }
        throw new CertificateException("subject alternative names " + presented + " match none of " + spec.subjectAltNames());
    }

    static boolean matches(OriginationSpec.SanRule rule, int type, String value) {
        boolean typeOk = switch (rule.type()) {
            case DNS -> type == SAN_DNS;
            case URI -> type == SAN_URI;
            case EMAIL -> type == SAN_EMAIL;
            case IP_ADDRESS -> type == SAN_IP;
            case ANY -> type == SAN_DNS || type == SAN_URI || type == SAN_EMAIL || type == SAN_IP;
        };
        if (!typeOk) {
            return false;
        }
        if (type == SAN_DNS) {
            String v = value.toLowerCase(Locale.ROOT);
            if (rule.matcher().matches(v)) {
                return true;
            }
            // a wildcard certificate name covers exactly one label of an exact expectation
            if (v.startsWith("*.") && rule.matcher().kind() == SanMatchers.Kind.EXACT) {
                String want = rule.matcher().value().toLowerCase(Locale.ROOT);
                int dot = want.indexOf('.');
                return dot > 0 && want.substring(dot).equals(v.substring(1));
            }
            return false;
        }
        if (type == SAN_IP) {
            try {
                String want = rule.matcher().value();
                return rule.matcher().matches(value)
                        || rule.matcher().kind() == SanMatchers.Kind.EXACT && InetAddress.getByName(want).equals(InetAddress.getByName(value));
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return rule.matcher().matches(value);
    }

    private static String label(int type) {
        return switch (type) {
            case SAN_EMAIL -> "email";
            case SAN_DNS -> "dns";
            case SAN_URI -> "uri";
            case SAN_IP -> "ip";
            default -> "type" + type;
        };
    }

    private X509TrustManager pkix() throws CertificateException {
        List<X509Certificate> cas = cas();
        Anchors a = anchors.get();
        if (a != null && a.cas().equals(cas)) {
            return a.pkix();
        }
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                ks.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            for (var tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    anchors.set(new Anchors(cas, x));
                    return x;
                }
            }
            throw new CertificateException("no X.509 trust manager available");
        } catch (java.security.GeneralSecurityException | java.io.IOException e) {
            throw new CertificateException("cannot build a verifier from the trusted CA (" + spec.trust() + "): " + e, e);
        }
    }

    private List<X509Certificate> cas() throws CertificateException {
        OriginationSpec.CaSource src = spec.trust();
        try {
            return switch (src.kind()) {
                case INLINE -> Pem.readCertificates(src.value(), "trusted_ca");
                case SDS -> secrets.trustedCa(src.value()).orElseThrow(() -> new CertificateException(
                        "the validation secret '" + src.value() + "' has not arrived"));
                case FILE -> fileCas(Path.of(src.value()));
                case NONE -> List.of();
            };
        } catch (RuntimeException e) {
            throw new CertificateException("cannot read the trusted CA (" + src + "): " + e.getMessage(), e);
        }
    }

    private List<X509Certificate> fileCas(Path file) throws CertificateException {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            FileCa cached = fileCa.get();
            if (cached != null && cached.modified().equals(modified) && cached.size() == size) {
                return cached.cas();
            }
            List<X509Certificate> cas = Pem.readCertificates(file);
            fileCa.set(new FileCa(modified, size, cas));
            return cas;
        } catch (java.io.IOException e) {
            throw new CertificateException("cannot read the CA file " + file + ": " + e, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("origination verifies servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("origination verifies servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("origination verifies servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
