package io.isthmus.controller.federation;

import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.Cluster;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedCluster;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.isthmus.mesh.MeshLabels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The remote secret: Istio's shape of a Secret that joins a cluster to the federation. It is
 * labelled {@code istio/multiCluster: "true"} and {@code isthmus.io/remote-secret: "true"}, annotated
 * {@code networking.istio.io/cluster: <name>}, and each data key is a cluster name whose value is a
 * kubeconfig reaching that cluster's API server.
 */
public final class RemoteSecrets {

    /** Prefix of remote secret names, as Istio names them. */
    public static final String NAME_PREFIX = "istio-remote-secret-";
    private static final Pattern CLUSTER_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?");

    private RemoteSecrets() {
    }

    /**
     * Builds the remote secret for one cluster.
     *
     * @param clusterName the cluster's name in the federation (DNS label characters)
     * @param kubeconfig a self-contained kubeconfig for its API server (see {@link #flatten})
     * @param namespace the namespace of the controller that will read it, normally {@code isthmus-system}
     */
    public static Secret remoteSecret(String clusterName, String kubeconfig, String namespace) {
        checkClusterName(clusterName);
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        Objects.requireNonNull(namespace, "namespace");
        return new SecretBuilder().withNewMetadata()
                .withName(NAME_PREFIX + clusterName).withNamespace(namespace)
                .withLabels(Map.of(MeshLabels.MULTI_CLUSTER, "true", MeshLabels.ISTHMUS_REMOTE_SECRET, "true"))
                .withAnnotations(Map.of(MeshLabels.CLUSTER_NAME_ANNOTATION, clusterName))
                .endMetadata()
                .withType("Opaque")
                .withData(Map.of(clusterName, Base64.getEncoder().encodeToString(kubeconfig.getBytes(StandardCharsets.UTF_8))))
                .build();
    }

    /** The remote secret as YAML, ready for {@code kubectl apply -f -}. */
    public static String toYaml(Secret secret) {
        return Serialization.asYaml(secret);
    }

    /**
     * One key of a remote secret: a cluster and its kubeconfig, or why that key is unusable.
     *
     * @param cluster the data key (the cluster name)
     * @param kubeconfig the decoded kubeconfig, empty when {@code error} is set
     * @param error why the key cannot be used, empty when it can
     */
    public record Entry(String cluster, String kubeconfig, String error) {
        public Entry {
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(kubeconfig, "kubeconfig");
            Objects.requireNonNull(error, "error");
        }
    }

    /**
     * Every key of a remote secret, each checked on its own so that one bad key does not hide the
     * good ones; sorted by cluster name.
     */
    public static java.util.List<Entry> entries(Secret secret) {
        String secretName = secret.getMetadata() == null ? "?" : secret.getMetadata().getName();
        Map<String, Entry> out = new TreeMap<>();
        if (secret.getData() != null) {
            for (Map.Entry<String, String> e : secret.getData().entrySet()) {
                try {
                    String text = new String(Base64.getMimeDecoder().decode(e.getValue() == null ? "" : e.getValue()),
                            StandardCharsets.UTF_8);
                    out.put(e.getKey(), new Entry(e.getKey(), text, ""));
                } catch (IllegalArgumentException ex) {
                    out.put(e.getKey(), new Entry(e.getKey(), "", "secret " + secretName + " key " + e.getKey()
                            + ": value is not base64: " + ex.getMessage()));
                }
            }
        }
        if (secret.getStringData() != null) {
            secret.getStringData().forEach((k, v) -> out.put(k, new Entry(k, v == null ? "" : v, "")));
        }
        java.util.List<Entry> list = new java.util.ArrayList<>();
        for (Entry e : out.values()) {
            if (!CLUSTER_NAME.matcher(e.cluster()).matches()) {
                list.add(new Entry(e.cluster(), "", "secret " + secretName + " key " + e.cluster()
                        + " is not a cluster name"));
            } else if (e.error().isEmpty() && e.kubeconfig().isBlank()) {
                list.add(new Entry(e.cluster(), "", "secret " + secretName + " key " + e.cluster() + " is empty"));
            } else {
                list.add(e);
            }
        }
        return list;
    }

    /**
     * The clusters a remote secret joins: cluster name → kubeconfig text, from {@code data} (base64)
     * and {@code stringData}, sorted by name.
     *
     * @throws RemoteSecretException when a value is not valid base64 or a key is no cluster name
     */
    public static Map<String, String> clusters(Secret secret) {
        String secretName = secret.getMetadata() == null ? "?" : secret.getMetadata().getName();
        Map<String, String> out = new TreeMap<>();
        if (secret.getData() != null) {
            for (Map.Entry<String, String> e : secret.getData().entrySet()) {
                try {
                    out.put(e.getKey(), new String(Base64.getMimeDecoder().decode(e.getValue() == null ? "" : e.getValue()),
                            StandardCharsets.UTF_8));
                } catch (IllegalArgumentException ex) {
                    throw new RemoteSecretException(e.getKey(), "secret " + secretName + " key " + e.getKey()
                            + ": value is not base64: " + ex.getMessage());
                }
            }
        }
        if (secret.getStringData() != null) {
            out.putAll(secret.getStringData());
        }
        for (String k : out.keySet()) {
            if (!CLUSTER_NAME.matcher(k).matches()) {
                throw new RemoteSecretException(k, "secret " + secretName + " key " + k + " is not a cluster name");
            }
        }
        return out;
    }

    /**
     * Makes a kubeconfig self-contained for one context: only that context's cluster and user, with
     * every referenced file (CA, client certificate and key, token file) inlined. Exec and
     * auth-provider plugins are refused: the controller cannot run them.
     *
     * @param kubeconfig kubeconfig text
     * @param context the context to keep, null for the current one
     * @param clusterName the name under which the cluster, user and context are written
     * @param serverOverride the API server URL to write instead of the kubeconfig's, or null
     */
    public static String flatten(String kubeconfig, String context, String clusterName, String serverOverride) {
        checkClusterName(clusterName);
        io.fabric8.kubernetes.api.model.Config cfg;
        try {
            cfg = KubeConfigUtils.parseConfigFromString(kubeconfig);
        } catch (RuntimeException e) {
            throw new RemoteSecretException(clusterName, "not a kubeconfig: " + e.getMessage(), e);
        }
        String ctxName = context != null ? context : cfg.getCurrentContext();
        if (ctxName == null || ctxName.isEmpty()) {
            throw new RemoteSecretException(clusterName, "kubeconfig has no current-context (use --context)");
        }
        NamedContext ctx = cfg.getContexts() == null ? null : cfg.getContexts().stream()
                .filter(c -> c.getName().equals(ctxName)).findFirst().orElse(null);
        if (ctx == null) {
            throw new RemoteSecretException(clusterName, "kubeconfig has no context " + ctxName);
        }
        Cluster cluster = cfg.getClusters() == null ? null : cfg.getClusters().stream()
                .filter(c -> c.getName().equals(ctx.getContext().getCluster())).map(NamedCluster::getCluster)
                .findFirst().orElse(null);
        AuthInfo user = cfg.getUsers() == null ? null : cfg.getUsers().stream()
                .filter(u -> u.getName().equals(ctx.getContext().getUser())).map(NamedAuthInfo::getUser)
                .findFirst().orElse(null);
        if (cluster == null || cluster.getServer() == null) {
            throw new RemoteSecretException(clusterName, "kubeconfig context " + ctxName + " has no cluster server");
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("server", serverOverride != null ? serverOverride : cluster.getServer());
        String ca = data(cluster.getCertificateAuthorityData(), cluster.getCertificateAuthority(), clusterName);
        if (ca != null) {
            c.put("certificate-authority-data", ca);
        }
        if (Boolean.TRUE.equals(cluster.getInsecureSkipTlsVerify())) {
            c.put("insecure-skip-tls-verify", true);
        }
        if (cluster.getTlsServerName() != null) {
            c.put("tls-server-name", cluster.getTlsServerName());
        }
        Map<String, Object> u = new LinkedHashMap<>();
        if (user != null) {
            if (user.getExec() != null || user.getAuthProvider() != null) {
                throw new RemoteSecretException(clusterName, "kubeconfig user " + ctx.getContext().getUser()
                        + " uses an exec or auth-provider plugin; use a token or client certificate");
            }
            String token = user.getToken();
            if (token == null && user.getTokenFile() != null) {
                token = read(user.getTokenFile(), clusterName).trim();
            }
            if (token != null) {
                u.put("token", token);
            }
            String cert = data(user.getClientCertificateData(), user.getClientCertificate(), clusterName);
            String key = data(user.getClientKeyData(), user.getClientKey(), clusterName);
            if (cert != null && key != null) {
                u.put("client-certificate-data", cert);
                u.put("client-key-data", key);
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", "v1");
        doc.put("kind", "Config");
        doc.put("clusters", java.util.List.of(Map.of("name", clusterName, "cluster", c)));
        doc.put("users", java.util.List.of(Map.of("name", clusterName, "user", u)));
        doc.put("contexts", java.util.List.of(Map.of("name", clusterName,
                "context", Map.of("cluster", clusterName, "user", clusterName))));
        doc.put("current-context", clusterName);
        return Serialization.asYaml(doc);
    }

    /** Throws unless the name is a DNS-label-like cluster name. */
    public static void checkClusterName(String clusterName) {
        Objects.requireNonNull(clusterName, "clusterName");
        if (!CLUSTER_NAME.matcher(clusterName).matches()) {
            throw new RemoteSecretException(clusterName, "cluster name must be lowercase letters, digits, '-' or '.'");
        }
    }

    private static String data(String inline, String file, String clusterName) {
        if (inline != null) {
            return inline;
        }
        if (file == null) {
            return null;
        }
        return Base64.getEncoder().encodeToString(read(file, clusterName).getBytes(StandardCharsets.UTF_8));
    }

    private static String read(String file, String clusterName) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new RemoteSecretException(clusterName, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
