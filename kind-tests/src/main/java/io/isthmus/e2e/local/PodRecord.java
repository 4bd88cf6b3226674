package io.isthmus.e2e.local;

import java.util.Map;
import java.util.Objects;

/**
 * What the API server knows of one pod of the local federation.
 *
 * @param cluster        its cluster
 * @param name           pod name
 * @param namespace      namespace
 * @param service        the service it serves
 * @param serviceAccount its service account
 * @param node           the node it runs on
 * @param nodeAddress    that node's address
 * @param zone           its zone
 * @param address        its pod IP
 * @param labels         its labels ({@code app}, {@code version}, network)
 * @param ready          whether its endpoint is ready
 */
public record PodRecord(String cluster, String name, String namespace, String service, String serviceAccount, String node,
                        String nodeAddress, String zone, String address, Map<String, String> labels, boolean ready) {
    public PodRecord {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(address, "address");
        labels = Map.copyOf(labels);
    }

    /** The same pod with another readiness. */
    public PodRecord withReady(boolean r) {
        return new PodRecord(cluster, name, namespace, service, serviceAccount, node, nodeAddress, zone, address, labels, r);
    }
}
