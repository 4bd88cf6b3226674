package io.isthmus.sidecar.endpoint;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.isthmus.sidecar.errors.InvalidResourceException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Labels that choose an upstream transport socket: the {@code envoy.transport_socket_match} filter
 * metadata of an endpoint (or of its locality), or the {@code match} of one of a cluster's
 * {@code transport_socket_matches}. Values are compared as Envoy compares them, by kind and value: a
 * string {@code "true"} is not the boolean {@code true}.
 *
 * @param values label name to value: a {@link String}, a {@link Boolean} or a {@link Double}
 */
public record SocketMatchLabels(Map<String, Object> values) {

    /** The filter metadata key under which endpoints and localities carry their labels. */
    public static final String METADATA_KEY = "envoy.transport_socket_match";

    /** No labels: as criteria they match every endpoint. */
    public static final SocketMatchLabels NONE = new SocketMatchLabels(Map.of());

    public SocketMatchLabels {
        values = Map.copyOf(values);
        for (Object v : values.values()) {
            if (!(v instanceof String || v instanceof Boolean || v instanceof Double)) {
                throw new IllegalArgumentException("a label value is a string, a boolean or a double, got " + v.getClass());
            }
        }
    }

    /**
     * True when {@code labels} carry every label of these criteria with an equal value (Envoy's
     * metadata label match); criteria without labels match any labels, none included.
     */
    public boolean matches(SocketMatchLabels labels) {
        for (var e : values.entrySet()) {
            if (!e.getValue().equals(labels.values.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** True when there are no labels. */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /**
     * Reads labels from a protobuf {@code Struct}, refusing a value that is not a string, a number
     * or a boolean by the field {@code field[key]}.
     *
     * @param typeUrl the type of the resource being read, for the refusal
     * @param resource the name of the resource being read
     * @param field the path of the struct in the resource
     */
    public static SocketMatchLabels of(Struct struct, String typeUrl, String resource, String field)
            throws InvalidResourceException {
        if (struct.getFieldsCount() == 0) {
            return NONE;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (var e : struct.getFieldsMap().entrySet()) {
            Value v = e.getValue();
            String at = field + "[" + e.getKey() + "]";
            Object value = switch (v.getKindCase()) {
                case STRING_VALUE -> v.getStringValue();
                case BOOL_VALUE -> v.getBoolValue();
                case NUMBER_VALUE -> {
                    double d = v.getNumberValue();
                    if (Double.isNaN(d)) {
                        throw new InvalidResourceException(typeUrl, resource, at, "NaN never matches; use a number");
                    }
                    yield d == 0 ? 0.0 : d; // -0.0 equals 0.0, as Envoy compares numbers
                }
                case NULL_VALUE, LIST_VALUE, STRUCT_VALUE, KIND_NOT_SET -> throw new InvalidResourceException(typeUrl, resource, at,
                        "a " + kind(v) + " cannot be matched; only strings, numbers and booleans can");
            };
            values.put(e.getKey(), value);
        }
        return new SocketMatchLabels(values);
    }

    private static String kind(Value v) {
        return switch (v.getKindCase()) {
            case NULL_VALUE -> "null";
            case LIST_VALUE -> "list";
            case STRUCT_VALUE -> "struct";
            default -> "value of no kind";
        };
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
