package io.isthmus.sidecar.listener;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.isthmus.mesh.PeerMetadataExchange;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.filter.PeerExchange;
import java.util.Map;

/**
 * Translates Istio's peer metadata exchange HTTP filter ({@code istio.metadata_exchange}, a {@code TypedStruct} of
 * {@code io.istio.http.peer_metadata.Config}) into a {@link PeerExchange}. Honoured: the four lists
 * {@code downstream_discovery}, {@code downstream_propagation}, {@code upstream_discovery} and
 * {@code upstream_propagation} with the method {@code istio_headers}; {@code workload_discovery} (Istio's workload
 * discovery service, which Isthmus does not serve) is accepted in the discovery lists and learns nothing;
 * {@code shared_with_upstream} has no effect. Anything else is refused naming the field.
 */
final class PeerExchangeTranslator {

    private static final String XDS_TYPED_STRUCT = "xds.type.v3.TypedStruct";
    private static final String UDPA_TYPED_STRUCT = "udpa.type.v1.TypedStruct";

    private PeerExchangeTranslator() {
    }

    /** Whether a filter's {@code typed_config} is a typed struct (the only form this filter comes in). */
    static boolean isTypedStruct(String type) {
        return XDS_TYPED_STRUCT.equals(type) || UDPA_TYPED_STRUCT.equals(type);
    }

    /** Whether a typed struct holds the peer metadata config. */
    static boolean isPeerMetadata(Any typedStruct) throws InvalidProtocolBufferException {
        return PeerMetadataExchange.CONFIG_TYPE_URL.equals(typeUrl(typedStruct));
    }

    static PeerExchange translate(Any typedStruct) throws UnsupportedFieldException, InvalidProtocolBufferException {
        Struct config = value(typedStruct);
        boolean dd = false;
        boolean dp = false;
        boolean ud = false;
        boolean up = false;
        for (Map.Entry<String, Value> e : config.getFieldsMap().entrySet()) {
            String key = e.getKey();
            switch (key) {
                case PeerMetadataExchange.DOWNSTREAM_DISCOVERY -> dd = methods(key, e.getValue(), true);
                case PeerMetadataExchange.DOWNSTREAM_PROPAGATION -> dp = methods(key, e.getValue(), false);
                case PeerMetadataExchange.UPSTREAM_DISCOVERY -> ud = methods(key, e.getValue(), true);
                case PeerMetadataExchange.UPSTREAM_PROPAGATION -> up = methods(key, e.getValue(), false);
                case "shared_with_upstream" -> {
                    if (!e.getValue().hasBoolValue()) {
                        throw new UnsupportedFieldException("value." + key, "must be a bool");
                    }
                }
                default -> throw new UnsupportedFieldException("value." + key, "not supported");
            }
        }
        return new PeerExchange(dd, dp, ud, up);
    }

    /** Whether a list of methods holds {@code istio_headers}; refuses anything but the known methods. */
    private static boolean methods(String key, Value list, boolean discovery) throws UnsupportedFieldException {
        if (!list.hasListValue()) {
            throw new UnsupportedFieldException("value." + key, "must be a list of methods");
        }
        boolean headers = false;
        for (int i = 0; i < list.getListValue().getValuesCount(); i++) {
            Value m = list.getListValue().getValues(i);
            String field = "value." + key + "[" + i + "]";
            if (!m.hasStructValue() || m.getStructValue().getFieldsCount() != 1) {
                throw new UnsupportedFieldException(field, "must name exactly one method");
            }
            String method = m.getStructValue().getFieldsMap().keySet().iterator().next();
            if (PeerMetadataExchange.ISTIO_HEADERS.equals(method)) {
                headers = true;
            } else if (!(discovery && PeerMetadataExchange.WORKLOAD_DISCOVERY.equals(method))) {
                throw new UnsupportedFieldException(field + "." + method, discovery
                        ? "not supported (istio_headers and workload_discovery are)" : "not supported (istio_headers is)");
            }
        }
        return headers;
    }

    private static String typeUrl(Any typedStruct) throws InvalidProtocolBufferException {
        if (typedStruct.getTypeUrl().endsWith(UDPA_TYPED_STRUCT)) {
            return typedStruct.unpack(com.github.udpa.udpa.type.v1.TypedStruct.class).getTypeUrl();
        }
        return typedStruct.unpack(com.github.xds.type.v3.TypedStruct.class).getTypeUrl();
    }

    private static Struct value(Any typedStruct) throws InvalidProtocolBufferException {
        if (typedStruct.getTypeUrl().endsWith(UDPA_TYPED_STRUCT)) {
            return typedStruct.unpack(com.github.udpa.udpa.type.v1.TypedStruct.class).getValue();
        }
        return typedStruct.unpack(com.github.xds.type.v3.TypedStruct.class).getValue();
    }
}
