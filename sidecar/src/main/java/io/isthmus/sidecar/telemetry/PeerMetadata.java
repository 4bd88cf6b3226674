package io.isthmus.sidecar.telemetry;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.isthmus.mesh.PeerMetadataExchange;
import io.isthmus.mesh.ProxyMetadata;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The two headers of Istio's HTTP peer metadata exchange ({@link PeerMetadataExchange}) as this proxy sends them,
 * and the reading of a peer's: base64 of a serialized {@code Struct} of node metadata, from which the peer's
 * workload, namespace, cluster, app and version are taken by the rules that name this proxy's own
 * ({@link #identity}). Immutable.
 *
 * @param id the value of {@link PeerMetadataExchange#ID_HEADER}: this proxy's node id
 * @param metadata the value of {@link PeerMetadataExchange#METADATA_HEADER}
 */
public record PeerMetadata(String id, String metadata) {

    /** The longest metadata header read; a longer one is ignored (Istio's own are about 1-2 KB). */
    public static final int MAX_HEADER_CHARS = 16 * 1024;
    /** The longest label value taken from a peer; longer values are cut. */
    static final int MAX_VALUE_CHARS = 253;

    /** The node metadata keys a proxy tells its peers, Istio's, when it has them. */
    private static final List<String> EXCHANGED = List.of("NAME", ProxyMetadata.NAMESPACE, ProxyMetadata.CLUSTER_ID,
            ProxyMetadata.WORKLOAD_NAME, ProxyMetadata.LABELS, ProxyMetadata.SERVICE_ACCOUNT, "OWNER", "MESH_ID",
            "ISTIO_VERSION", "APP_CONTAINERS", ProxyMetadata.INSTANCE_IPS);

    /** The most distinct headers {@link #decode} remembers; past it the memory starts over. */
    static final int DECODED_CACHE_SIZE = 4096;

    /**
     * Headers already read, by their text: a peer sends the same header on every request, and a proxy has few peers,
     * so each is decoded once instead of per request. Bounded by {@link #DECODED_CACHE_SIZE}.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, Optional<NodeIdentity>> DECODED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Tells nothing: no headers are sent. */
    public static final PeerMetadata NONE = new PeerMetadata("", "");

    public PeerMetadata {
        java.util.Objects.requireNonNull(id, "id");
        java.util.Objects.requireNonNull(metadata, "metadata");
    }

    /** This proxy's headers, from its bootstrap node: the id and the exchanged keys of its metadata. */
    public static PeerMetadata of(String nodeId, Struct nodeMetadata) {
        Struct.Builder told = Struct.newBuilder();
        for (String key : EXCHANGED) {
            Value v = nodeMetadata.getFieldsMap().get(key);
            if (v != null) {
                told.putFields(key, v);
            }
        }
        return new PeerMetadata(nodeId, Base64.getEncoder().encodeToString(told.build().toByteArray()));
    }

    /** Whether there is anything to send. */
    public boolean present() {
        return !metadata.isEmpty();
    }

    /**
     * Reads a peer's {@link PeerMetadataExchange#METADATA_HEADER}; empty when absent, too long, not base64 or not
     * a {@code Struct}, which leaves the peer's labels {@code unknown}, as in Istio.
     */
    public static Optional<NodeIdentity> decode(String header) {
        if (header == null || header.isEmpty() || header.length() > MAX_HEADER_CHARS) {
            return Optional.empty();
        }
        Optional<NodeIdentity> known = DECODED.get(header);
        if (known != null) {
            return known;
        }
        if (DECODED.size() >= DECODED_CACHE_SIZE) {
            DECODED.clear();
        }
        Optional<NodeIdentity> read = parse(header);
        DECODED.put(header, read);
        return read;
    }

    /** The number of headers {@link #decode} remembers. */
    static int decodedCached() {
        return DECODED.size();
    }

    private static Optional<NodeIdentity> parse(String header) {
        try {
            Struct s = Struct.parseFrom(Base64.getDecoder().decode(header.trim()));
            return Optional.of(identity(s, ""));
        } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    /**
     * Who a node is, from its metadata, as Istio's telemetry names it: the workload is {@code WORKLOAD_NAME} (else
     * {@code fallbackWorkload}); the app its {@code service.istio.io/canonical-name} label, else {@code app}, else the
     * workload; the version its {@code service.istio.io/canonical-revision} label, else {@code version}. What is not
     * known is {@code unknown}.
     */
    public static NodeIdentity identity(Struct metadata, String fallbackWorkload) {
        Map<String, Value> f = metadata.getFieldsMap();
        Map<String, Value> labels = f.containsKey(ProxyMetadata.LABELS) && f.get(ProxyMetadata.LABELS).hasStructValue()
                ? f.get(ProxyMetadata.LABELS).getStructValue().getFieldsMap() : Map.of();
        String workload = string(f, ProxyMetadata.WORKLOAD_NAME);
        if (workload.isEmpty()) {
            workload = fallbackWorkload;
        }
        String app = string(labels, "service.istio.io/canonical-name");
        if (app.isEmpty()) {
            app = string(labels, "app");
        }
        if (app.isEmpty()) {
            app = workload;
        }
        String version = string(labels, "service.istio.io/canonical-revision");
        if (version.isEmpty()) {
            version = string(labels, "version");
        }
        return new NodeIdentity(orUnknown(workload), orUnknown(string(f, ProxyMetadata.NAMESPACE)),
                orUnknown(string(f, ProxyMetadata.CLUSTER_ID)), orUnknown(app), orUnknown(version));
    }

    /** A string value, cut to {@link #MAX_VALUE_CHARS} and without control characters; "" when absent or not a string. */
    private static String string(Map<String, Value> fields, String key) {
        Value v = fields.get(key);
        if (v == null || !v.hasStringValue()) {
            return "";
        }
        String s = v.getStringValue();
        if (s.length() > MAX_VALUE_CHARS) {
            s = s.substring(0, MAX_VALUE_CHARS);
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return s.codePoints().filter(c -> !Character.isISOControl(c))
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            }
        }
        return s;
    }

    private static String orUnknown(String s) {
        return s.isEmpty() ? "unknown" : s;
    }
}
