package io.isthmus.mesh;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * Istio's HTTP peer metadata exchange, as the control plane configures it and proxies carry it out: the HTTP
 * filter {@value #FILTER_NAME} whose {@code typed_config} is a {@code TypedStruct} of type
 * {@value #CONFIG_TYPE_URL}. A proxy tells its peer who it is in two headers, {@value #ID_HEADER} (its node id)
 * and {@value #METADATA_HEADER} (base64 of its node metadata, a serialized {@code google.protobuf.Struct}): the
 * client's proxy on the request (upstream propagation), the server's on the response (downstream propagation).
 * Each side reads the other's (discovery) and removes the headers, so the apps never see them. What is learnt
 * labels the metrics: {@code source_workload}, {@code destination_version}, ...
 */
public final class PeerMetadataExchange {

    /** The HTTP filter's name, Istio's. */
    public static final String FILTER_NAME = "istio.metadata_exchange";
    /** The type of the filter's config, inside a {@code TypedStruct}. */
    public static final String CONFIG_TYPE_URL = "type.googleapis.com/io.istio.http.peer_metadata.Config";
    /** The node id header. */
    public static final String ID_HEADER = "x-envoy-peer-metadata-id";
    /** The metadata header: base64 of a serialized {@code Struct} of node metadata. */
    public static final String METADATA_HEADER = "x-envoy-peer-metadata";

    /** Config field: how the downstream peer is learnt (a list of methods). */
    public static final String DOWNSTREAM_DISCOVERY = "downstream_discovery";
    /** Config field: how this proxy tells the downstream peer about itself. */
    public static final String DOWNSTREAM_PROPAGATION = "downstream_propagation";
    /** Config field: how the upstream peer is learnt. */
    public static final String UPSTREAM_DISCOVERY = "upstream_discovery";
    /** Config field: how this proxy tells the upstream peer about itself. */
    public static final String UPSTREAM_PROPAGATION = "upstream_propagation";
    /** Method: the two headers above. */
    public static final String ISTIO_HEADERS = "istio_headers";
    /** Method: Istio's workload discovery service (ambient); Isthmus serves none, so it learns nothing. */
    public static final String WORKLOAD_DISCOVERY = "workload_discovery";

    private PeerMetadataExchange() {
    }

    /** The config of a sidecar's inbound chains: learn the caller from the request, answer with this proxy. */
    public static Struct inboundConfig() {
        return Struct.newBuilder()
                .putFields(DOWNSTREAM_DISCOVERY, methods(ISTIO_HEADERS, WORKLOAD_DISCOVERY))
                .putFields(DOWNSTREAM_PROPAGATION, methods(ISTIO_HEADERS))
                .build();
    }

    /** The config of outbound and gateway chains: tell the callee who calls, learn it from the response. */
    public static Struct outboundConfig() {
        return Struct.newBuilder()
                .putFields(UPSTREAM_DISCOVERY, methods(ISTIO_HEADERS, WORKLOAD_DISCOVERY))
                .putFields(UPSTREAM_PROPAGATION, methods(ISTIO_HEADERS))
                .build();
    }

    /** A list of discovery or propagation methods, each {@code {<method>: {}}}. */
    private static Value methods(String... names) {
        ListValue.Builder list = ListValue.newBuilder();
        for (String n : names) {
            list.addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
                    .putFields(n, Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())));
        }
        return Value.newBuilder().setListValue(list).build();
    }
}
