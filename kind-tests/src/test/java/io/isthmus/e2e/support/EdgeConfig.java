package io.isthmus.e2e.support;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.e2e.local.EdgeManifests;
import io.isthmus.e2e.local.EdgePki;
import java.nio.file.Path;
import java.util.Map;

/** The edge scenarios' view of {@link EdgeManifests}: manifests from this checkout's {@code topology-configs/manifests/edges/}. */
public final class EdgeConfig {
    private EdgeConfig() {
    }

    private static Path edges() {
        return SharedFederation.topologies().resolve("manifests").resolve("edges");
    }

    /** Applies every document of {@code manifests/edges/<file>}. */
    public static void apply(KubernetesClient client, String file, Map<String, String> vars) {
        EdgeManifests.apply(client, edges(), file, vars);
    }

    /** Deletes every object of {@code manifests/edges/<file>}. */
    public static void delete(KubernetesClient client, String file, Map<String, String> vars) {
        EdgeManifests.delete(client, edges(), file, vars);
    }

    /** The ingress credential Secret {@code name} in {@code istio-system}. */
    public static void tlsSecret(KubernetesClient client, String name, EdgePki.Issued leaf) {
        EdgeManifests.tlsSecret(client, name, leaf);
    }

    /** The same with {@code ca.crt} = {@code clientCaPem}. */
    public static void tlsSecret(KubernetesClient client, String name, EdgePki.Issued leaf, String clientCaPem) {
        EdgeManifests.tlsSecret(client, name, leaf, clientCaPem);
    }
}
