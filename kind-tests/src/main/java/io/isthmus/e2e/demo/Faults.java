package io.isthmus.e2e.demo;

import java.time.Duration;
import java.util.Locale;

/**
 * What the demo app is told to do wrong.
 *
 * @param failWith HTTP status to answer with instead of 200; 0 = answer normally
 * @param delay    how long to wait before answering; zero = none
 * @param grpcCode gRPC status code (1..16) gRPC calls fail with; 0 = the code {@link #grpcStatus()}
 *                 derives from {@code failWith}
 */
public record Faults(int failWith, Duration delay, int grpcCode) {
    /** Healthy behaviour. */
    public static final Faults NONE = new Faults(0, Duration.ZERO, 0);

    /** gRPC's status code names, indexed by code. */
    private static final String[] GRPC_NAMES = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
        "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};

    public Faults {
        if (failWith != 0 && (failWith < 200 || failWith > 599)) {
            throw new IllegalArgumentException("failWith: " + failWith + " is not 0 or an HTTP status 200..599");
        }
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay: must be zero or positive");
        }
        if (grpcCode < 0 || grpcCode > 16) {
            throw new IllegalArgumentException("grpcCode: " + grpcCode + " is not 0 or a gRPC status code 1..16");
        }
    }

    /** Faults for HTTP and the gRPC code derived from {@code failWith}. */
    public Faults(int failWith, Duration delay) {
        this(failWith, delay, 0);
    }

    /**
     * The gRPC status code calls get: {@code grpcCode} when set, else the HTTP status's counterpart
     * (502, 503 UNAVAILABLE; 500 INTERNAL; 504 DEADLINE_EXCEEDED; 429 RESOURCE_EXHAUSTED; 501
     * UNIMPLEMENTED; 401 UNAUTHENTICATED; 403 PERMISSION_DENIED; 404 NOT_FOUND; other 4xx
     * INVALID_ARGUMENT, other 5xx UNKNOWN; 0 and 2xx/3xx OK).
     */
    public int grpcStatus() {
        if (grpcCode != 0) {
            return grpcCode;
        }
        return switch (failWith) {
            case 502, 503 -> 14;
            case 500 -> 13;
            case 504 -> 4;
            case 429 -> 8;
            case 501 -> 12;
            case 401 -> 16;
            case 403 -> 7;
            case 404 -> 5;
            default -> failWith >= 500 ? 2 : failWith >= 400 ? 3 : 0;
        };
    }

    /** The name of gRPC status {@code code} ({@code UNAVAILABLE}...). */
    public static String grpcName(int code) {
        return code >= 0 && code < GRPC_NAMES.length ? GRPC_NAMES[code] : "CODE_" + code;
    }

    /** A gRPC status given as a name ({@code unavailable}, {@code INTERNAL}) or a number 0..16. */
    public static int parseGrpcCode(String s) {
        String v = s.trim().toUpperCase(Locale.ROOT);
        for (int i = 0; i < GRPC_NAMES.length; i++) {
            if (GRPC_NAMES[i].equals(v)) {
                return i;
            }
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 0 && n <= 16) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("grpc: '" + s + "' is not a gRPC status name or code 0..16");
    }
}
