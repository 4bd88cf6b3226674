package io.isthmus.controller.registry;

import java.util.Locale;

/**
 * The application protocol of a service port, chosen as Istio does: from {@code appProtocol}, else
 * from the port name prefix ({@code http-web}, {@code grpc}, {@code tcp-db}...).
 */
public enum Protocol {
    HTTP, HTTP2, GRPC, HTTPS, TLS, TCP, UNKNOWN;

    /** Whether the proxy speaks HTTP/2 to the upstream (Istio's {@code IsHTTP2}: HTTP2 and gRPC ports). */
    public boolean isHttp2() {
        return this == HTTP2 || this == GRPC;
    }

    /** Whether the proxy can route this protocol at HTTP level (HCM rather than tcp_proxy). */
    public boolean isHttp() {
        return this == HTTP || this == HTTP2 || this == GRPC;
    }

    /**
     * Picks the protocol of a Kubernetes service port.
     *
     * @param portName the port name, may be null
     * @param appProtocol the {@code appProtocol} field, may be null; wins when recognised
     */
    public static Protocol of(String portName, String appProtocol) {
        Protocol p = parse(appProtocol);
        if (p != UNKNOWN) {
            return p;
        }
        if (portName == null || portName.isEmpty()) {
            return UNKNOWN;
        }
        int dash = portName.indexOf('-');
        return parse(dash < 0 ? portName : portName.substring(0, dash));
    }

    /** Parses one protocol word ({@code http}, {@code h2c}, {@code grpc-web}...), UNKNOWN when not recognised. */
    public static Protocol parse(String s) {
        if (s == null) {
            return UNKNOWN;
        }
        String v = s.toLowerCase(Locale.ROOT);
        if (v.startsWith("kubernetes.io/")) {
            v = v.substring("kubernetes.io/".length());
        }
        return switch (v) {
            case "http", "http1", "http/1.1", "grpc-web" -> HTTP;
            case "http2", "h2c", "h2", "kubernetes.io/h2c" -> HTTP2;
            case "grpc" -> GRPC;
            case "https" -> HTTPS;
            case "tls" -> TLS;
            case "tcp", "mongo", "redis", "mysql" -> TCP;
            default -> UNKNOWN;
        };
    }
}
