package io.isthmus.sidecar.filter;

import io.vertx.core.MultiMap;

/**
 * gRPC status codes as the proxy reads them: from a {@code grpc-status} header or trailer, and
 * mapped to the HTTP status that outlier detection counts (Envoy's {@code grpcToHttpStatus}).
 */
final class GrpcStatus {

    private GrpcStatus() {
    }

    /** The {@code grpc-status} in these headers or trailers, or -1 when absent or malformed. */
    static int of(MultiMap headers) {
        String g = headers == null ? null : headers.get("grpc-status");
        if (g == null) {
            return -1;
        }
        try {
            return Integer.parseInt(g.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The HTTP status Envoy maps a gRPC status to. */
    static int toHttp(int grpcStatus) {
        return switch (grpcStatus) {
            case 0 -> 200;
            case 1 -> 499;
            case 3, 9, 11 -> 400;
            case 4 -> 504;
            case 5 -> 404;
            case 6, 10 -> 409;
            case 7 -> 403;
            case 8 -> 429;
            case 12 -> 501;
            case 14 -> 503;
            case 16 -> 401;
            default -> 500; // UNKNOWN, INTERNAL, DATA_LOSS and codes gRPC does not define
        };
    }
}
