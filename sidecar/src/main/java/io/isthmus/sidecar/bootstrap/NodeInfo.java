package io.isthmus.sidecar.bootstrap;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.ProxyMetadata;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who this proxy is, from the bootstrap's {@code node}: id, workload cluster, locality and the
 * Istio-style metadata ({@link ProxyMetadata} keys), plus typed accessors for the keys the proxy
 * itself uses (telemetry labels, SPIFFE identity for the CSR).
 *
 * @param node the Envoy {@code Node} exactly as sent to the control plane
 */
public record NodeInfo(Node node) {

    public NodeInfo {
        Objects.requireNonNull(node, "node");
    }

    /** {@code node.id}. */
    public String id() {
        return node.getId();
    }

    /** {@code node.cluster}: the workload or service name. */
    public String serviceCluster() {
        return node.getCluster();
    }

    /** {@code node.locality}. */
    public Locality locality() {
        var l = node.getLocality();
        return new Locality(l.getRegion(), l.getZone(), l.getSubZone());
    }

    /** {@code CLUSTER_ID}: the Kubernetes cluster the proxy runs in ("" when unset). */
    public String clusterId() {
        return string(ProxyMetadata.CLUSTER_ID);
    }

    /** {@code NETWORK} ("" when unset). */
    public String network() {
        return string(ProxyMetadata.NETWORK);
    }

    /** {@code NAMESPACE} ("" when unset). */
    public String namespace() {
        return string(ProxyMetadata.NAMESPACE);
    }

    /** {@code SERVICE_ACCOUNT} ("" when unset). */
    public String serviceAccount() {
        return string(ProxyMetadata.SERVICE_ACCOUNT);
    }

    /** {@code WORKLOAD_NAME} ("" when unset). */
    public String workloadName() {
        return string(ProxyMetadata.WORKLOAD_NAME);
    }

    /** {@code INSTANCE_IPS}, split on commas. */
    public List<String> instanceIps() {
        String ips = string(ProxyMetadata.INSTANCE_IPS);
        return ips.isBlank() ? List.of() : List.of(ips.trim().split("\\s*,\\s*"));
    }

    /** {@code LABELS} as strings. */
    public Map<String, String> labels() {
        Value v = node.getMetadata().getFieldsMap().get(ProxyMetadata.LABELS);
        if (v == null || !v.hasStructValue()) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        v.getStructValue().getFieldsMap().forEach((k, val) -> out.put(k, val.hasStringValue()
                ? val.getStringValue() : val.toString().trim()));
        return Map.copyOf(out);
    }

    /** The node type from the id ({@code sidecar} or {@code router}), "" when the id has no {@code ~}. */
    public String type() {
        int i = id().indexOf('~');
        return i < 0 ? "" : id().substring(0, i);
    }

    /** The metadata struct. */
    public Struct metadata() {
        return node.getMetadata();
    }

    /** A string metadata value, "" when absent or not a string. */
    public String string(String key) {
        Value v = node.getMetadata().getFieldsMap().get(key);
        return v != null && v.hasStringValue() ? v.getStringValue() : "";
    }

    /**
     * {@code metadata.PROXY_CONFIG.concurrency}, Istio's worker-thread count (0 = one per core); empty when absent.
     *
     * @throws IllegalArgumentException when it is not a whole number from 0 to 1024, naming the field
     */
    public java.util.OptionalInt concurrency() {
        Value config = node.getMetadata().getFieldsMap().get(ProxyMetadata.PROXY_CONFIG);
        if (config == null || !config.hasStructValue()) {
            return java.util.OptionalInt.empty();
        }
        Value c = config.getStructValue().getFieldsMap().get("concurrency");
        if (c == null || c.hasNullValue()) {
            return java.util.OptionalInt.empty();
        }
        double d;
        try {
            d = c.hasNumberValue() ? c.getNumberValue() : Double.parseDouble(c.getStringValue().trim());
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!(d >= 0 && d <= 1024) || d != Math.rint(d)) {
            throw new IllegalArgumentException("node.metadata." + ProxyMetadata.PROXY_CONFIG + ".concurrency: '"
                    + (c.hasNumberValue() ? String.valueOf(c.getNumberValue()) : c.getStringValue())
                    + "' is not a number of worker threads (a whole number from 0 to 1024; 0 = one per core)");
        }
        return java.util.OptionalInt.of((int) d);
    }

    /** {@code [cluster/namespace/workload]}, the log context of this proxy. */
    public String logContext() {
        return "[" + clusterId() + "/" + namespace() + "/" + (workloadName().isEmpty() ? id() : workloadName()) + "]";
    }
}
