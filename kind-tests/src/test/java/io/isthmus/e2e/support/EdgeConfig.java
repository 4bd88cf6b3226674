package io.isthmus.e2e.support;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.isthmus.e2e.local.EdgePki;
import io.isthmus.e2e.topology.GatewaySpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The edge scenarios' Kubernetes objects: Istio manifests from {@code topology-configs/manifests/edges/}
 * (with {@code ${NAME}} placeholders filled in) and the TLS Secrets holding ingress credentials.
 */
public final class EdgeConfig {
    private EdgeConfig() {
    }

    /** The documents of {@code manifests/edges/<file>} with {@code ${K}} replaced by {@code vars}. */
    public static List<String> documents(String file, Map<String, String> vars) {
        Path p = SharedFederation.topologies().resolve("manifests").resolve("edges").resolve(file);
        String text;
        try {
            text = Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
        for (Map.Entry<String, String> v : vars.entrySet()) {
            text = text.replace("${" + v.getKey() + "}", v.getValue());
        }
        if (text.contains("${")) {
            throw new IllegalArgumentException(p + ": a placeholder is left unfilled (given " + vars.keySet() + ")");
        }
        List<String> docs = new ArrayList<>();
        for (String d : text.split("(?m)^---\\s*$")) {
            if (d.lines().anyMatch(l -> l.startsWith("kind:"))) {
                docs.add(d);
            }
        }
        return docs;
    }

    /** Applies every document of {@code manifests/edges/<file>}. */
    public static void apply(KubernetesClient client, String file, Map<String, String> vars) {
        documents(file, vars).forEach(d -> IstioConfig.apply(client, d));
    }

    /** Deletes every object of {@code manifests/edges/<file>}. */
    public static void delete(KubernetesClient client, String file, Map<String, String> vars) {
        documents(file, vars).forEach(d -> IstioConfig.delete(client, d));
    }

    /**
     * Creates or replaces the {@code kubernetes.io/tls} Secret {@code name} in {@code istio-system}
     * (the gateway proxies' namespace, where {@code credentialName} is looked up).
     */
    public static void tlsSecret(KubernetesClient client, String name, EdgePki.Issued leaf) {
        tlsSecret(client, name, leaf, null);
    }

    /** The same with {@code ca.crt} = {@code clientCaPem} (the CA a MUTUAL server verifies clients against) when not null. */
    public static void tlsSecret(KubernetesClient client, String name, EdgePki.Issued leaf, String clientCaPem) {
        Map<String, String> data = new java.util.LinkedHashMap<>();
        data.put("tls.crt", b64(leaf.certPem()));
        data.put("tls.key", b64(leaf.keyPem()));
        if (clientCaPem != null) {
            data.put("ca.crt", b64(clientCaPem));
        }
        Secret s = new SecretBuilder().withNewMetadata().withName(name).withNamespace(GatewaySpec.NAMESPACE).endMetadata()
                .withType("kubernetes.io/tls")
                .withData(data)
                .build();
        client.secrets().inNamespace(GatewaySpec.NAMESPACE).resource(s).createOr(NonDeletingOperation::update);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
