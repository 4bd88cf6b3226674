package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A Kubernetes {@code v1} Secret holding TLS credentials for gateways ({@code credentialName}):
 * layout {@code kubernetes.io/tls} ({@code tls.crt}, {@code tls.key}, optional {@code ca.crt}) or
 * generic ({@code cert}, {@code key}, {@code cacert}). Served over SDS as
 * {@code kubernetes://<name>} and {@code kubernetes://<name>-cacert}, only to router proxies of its
 * namespace and cluster. {@link #toString()} never shows the key.
 *
 * @param ref the resource ({@code Secret <ns>/<name>})
 * @param cluster the cluster it was read from; empty = every cluster (file config)
 * @param certificateChain PEM certificate chain, empty when the Secret holds only a CA
 * @param privateKey PEM private key, empty when the Secret holds only a CA
 * @param caCertificates PEM CA certificates for client verification, empty when none
 */
public record CredentialSecret(ResourceRef ref, String cluster, String certificateChain, String privateKey,
                               String caCertificates) implements MeshResource {

    /** Kind name. */
    public static final String KIND = "Secret";
    /** Annotation naming the cluster a Secret was read from (set by the controller's watch). */
    public static final String CLUSTER_ANNOTATION = "isthmus.io/cluster";

    public CredentialSecret {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(caCertificates, "caCertificates");
    }

    /** Whether this Secret holds a certificate and its key. */
    public boolean hasCertificate() {
        return !certificateChain.isEmpty() && !privateKey.isEmpty();
    }

    /** Whether this Secret applies to proxies of a cluster. */
    public boolean appliesTo(String clusterId) {
        return cluster.isEmpty() || cluster.equals(clusterId);
    }

    @Override
    public String toString() {
        return "CredentialSecret[" + ref + ", cluster=" + cluster + ", certificate=" + !certificateChain.isEmpty()
                + ", ca=" + !caCertificates.isEmpty() + "]";
    }

    /**
     * Whether a Secret's keys look like TLS credentials (so a watch of every Secret skips the others
     * instead of rejecting them).
     */
    public static boolean isCredential(String type, java.util.Set<String> keys) {
        return "kubernetes.io/tls".equals(type) || keys.contains("tls.crt") || keys.contains("ca.crt")
                || keys.contains("cacert") || (keys.contains("cert") && keys.contains("key"));
    }

    static CredentialSecret parse(ResourceRef ref, GenericKubernetesResource r) {
        for (String top : r.getAdditionalProperties().keySet()) {
            if (!top.equals("data") && !top.equals("stringData") && !top.equals("type") && !top.equals("immutable")) {
                throw new ConfigException(ref, top, "field not supported (supported: type, data, stringData)");
            }
        }
        Object type = r.getAdditionalProperties().getOrDefault("type", "Opaque");
        if (!"Opaque".equals(type) && !"kubernetes.io/tls".equals(type)) {
            throw new ConfigException(ref, "type", "must be kubernetes.io/tls or Opaque, got " + type);
        }
        Map<String, String> data = new LinkedHashMap<>();
        if (r.getAdditionalProperties().get("data") instanceof Map<?, ?> d) {
            for (Map.Entry<?, ?> e : d.entrySet()) {
                try {
                    data.put(String.valueOf(e.getKey()), new String(Base64.getMimeDecoder().decode(String.valueOf(e.getValue())),
                            StandardCharsets.UTF_8));
                } catch (IllegalArgumentException bad) {
                    throw new ConfigException(ref, "data." + e.getKey(), "not base64: " + bad.getMessage());
                }
            }
        } else if (r.getAdditionalProperties().get("data") != null) {
            throw new ConfigException(ref, "data", "must be an object");
        }
        if (r.getAdditionalProperties().get("stringData") instanceof Map<?, ?> d) {
            d.forEach((k, v) -> data.put(String.valueOf(k), String.valueOf(v)));
        } else if (r.getAdditionalProperties().get("stringData") != null) {
            throw new ConfigException(ref, "stringData", "must be an object");
        }
        String certKey = data.containsKey("tls.crt") ? "tls.crt" : "cert";
        String keyKey = data.containsKey("tls.key") ? "tls.key" : "key";
        String caKey = data.containsKey("ca.crt") ? "ca.crt" : "cacert";
        String cert = data.getOrDefault(certKey, "");
        String key = data.getOrDefault(keyKey, "");
        String ca = data.getOrDefault(caKey, "");
        if (cert.isEmpty() != key.isEmpty()) {
            throw new ConfigException(ref, "data." + (cert.isEmpty() ? certKey : keyKey),
                    "required with data." + (cert.isEmpty() ? keyKey : certKey));
        }
        if (cert.isEmpty() && ca.isEmpty()) {
            throw new ConfigException(ref, "data", "holds no credential: expected tls.crt and tls.key (and optional ca.crt),"
                    + " or cert and key (and optional cacert), or only ca.crt/cacert");
        }
        if (!cert.isEmpty()) {
            checkCertificates(ref, "data." + certKey, cert);
            if (!key.contains("PRIVATE KEY-----")) {
                throw new ConfigException(ref, "data." + keyKey, "not a PEM private key");
            }
        }
        if (!ca.isEmpty()) {
            checkCertificates(ref, "data." + caKey, ca);
        }
        String cluster = r.getMetadata().getAnnotations() == null ? ""
                : r.getMetadata().getAnnotations().getOrDefault(CLUSTER_ANNOTATION, "");
        return new CredentialSecret(ref, cluster, cert, key, ca);
    }

    private static void checkCertificates(ResourceRef ref, String field, String pem) {
        try {
            if (!pem.contains("-----BEGIN CERTIFICATE-----") || CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty()) {
                throw new CertificateException("no certificate");
            }
        } catch (CertificateException e) {
            throw new ConfigException(ref, field, "not PEM certificates: " + e.getMessage());
        }
    }
}
