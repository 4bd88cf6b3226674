package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
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
 * The edges' Kubernetes objects: Istio manifests from {@code topology-configs/manifests/edges/}
 * (with {@code ${NAME}} placeholders filled in) and the TLS Secrets holding ingress credentials.
 * {@code isthmus local up} installs them for a topology with edge gateways; the edge scenarios
 * apply them one by one.
 */
public final class EdgeManifests {
    private EdgeManifests() {
    }

    /**
     * Installs the edges' demo configuration into every cluster with edge gateways: for an ingress
     * gateway, a TLS credential per host ({@code <first label>-credential}, issued by the
     * federation's ingress CA, with the client CA as {@code ca.crt} for MUTUAL servers) and
     * {@code ingress.yaml}; for an egress gateway, {@code egress.yaml}.
     *
     * @return one line per object group installed, for the progress output
     */
    public static List<String> installDemo(LocalFederation fed, Path edgesDir) {
        List<String> done = new ArrayList<>();
        for (SimulatedCluster c : fed.clusters()) {
            for (GatewaySpec g : c.spec().gateways()) {
                if (g.kind() == GatewaySpec.Kind.INGRESS) {
                    for (String host : g.hosts()) {
                        String name = host.split("\\.")[0] + "-credential";
                        tlsSecret(c.client(), name, fed.edges().ingressCa().issue(host), fed.edges().clientCa().certPem());
                        done.add("ingress credential: " + c.name() + "/" + GatewaySpec.NAMESPACE + "/" + name + " for " + host);
                    }
                    apply(c.client(), edgesDir, "ingress.yaml", Map.of());
                    done.add("ingress config: " + c.name() + " <- " + edgesDir.resolve("ingress.yaml"));
                } else {
                    apply(c.client(), edgesDir, "egress.yaml", Map.of("EXTERNAL_CA", fed.edges().externalCaFile().toString()));
                    done.add("egress config: " + c.name() + " <- " + edgesDir.resolve("egress.yaml"));
                }
            }
        }
        return done;
    }

    /** The documents of {@code <edgesDir>/<file>} with {@code ${K}} replaced by {@code vars}. */
    public static List<String> documents(Path edgesDir, String file, Map<String, String> vars) {
        Path p = edgesDir.resolve(file);
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

    /** Applies every document of {@code <edgesDir>/<file>}. */
    public static void apply(KubernetesClient client, Path edgesDir, String file, Map<String, String> vars) {
        documents(edgesDir, file, vars).forEach(d -> IstioConfig.apply(client, d));
    }

    /** Deletes every object of {@code <edgesDir>/<file>}. */
    public static void delete(KubernetesClient client, Path edgesDir, String file, Map<String, String> vars) {
        documents(edgesDir, file, vars).forEach(d -> IstioConfig.delete(client, d));
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
