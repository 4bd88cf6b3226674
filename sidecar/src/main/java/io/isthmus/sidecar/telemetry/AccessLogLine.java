package io.isthmus.sidecar.telemetry;

/** Formats one request or TCP connection as a JSON access-log line in Envoy's field names. */
final class AccessLogLine {

    private AccessLogLine() {
    }

    static String json(RequestRecord r) {
        StringBuilder b = new StringBuilder(384).append('{');
        field(b, "direction", r.direction()).append(',');
        field(b, "listener", r.listener()).append(',');
        field(b, "method", r.method()).append(',');
        field(b, "authority", r.authority()).append(',');
        field(b, "path", r.path()).append(',');
        field(b, "protocol", r.protocol()).append(',');
        b.append("\"response_code\":").append(r.status()).append(',');
        field(b, "response_flags", r.flags()).append(',');
        field(b, "route_name", r.route()).append(',');
        field(b, "upstream_cluster", r.cluster()).append(',');
        field(b, "upstream_host", r.upstreamHost()).append(',');
        b.append("\"upstream_attempts\":").append(r.attempts()).append(',');
        b.append("\"bytes_received\":").append(r.requestBytes()).append(',');
        b.append("\"bytes_sent\":").append(r.responseBytes()).append(',');
        b.append("\"duration_ms\":").append(Math.round(r.durationMillis() * 1000) / 1000.0).append(',');
        field(b, "x_request_id", r.requestId()).append(',');
        field(b, "traceparent", r.traceparent()).append(',');
        field(b, "peer_principal", r.peerPrincipal()).append(',');
        field(b, "downstream_principal", r.downstreamPrincipal()).append(',');
        field(b, "downstream_remote_address", r.downstreamAddress());
        return b.append('}').toString();
    }

    /** One TCP proxy connection, with the fields of a request line that apply to it. */
    static String json(ConnectionRecord c) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "direction", c.direction()).append(',');
        field(b, "listener", c.listener()).append(',');
        field(b, "protocol", "tcp").append(',');
        field(b, "response_flags", c.flags()).append(',');
        field(b, "upstream_cluster", c.cluster()).append(',');
        field(b, "upstream_host", c.upstreamHost()).append(',');
        b.append("\"bytes_received\":").append(c.receivedBytes()).append(',');
        b.append("\"bytes_sent\":").append(c.sentBytes()).append(',');
        b.append("\"duration_ms\":").append(Math.round(c.durationMillis() * 1000) / 1000.0).append(',');
        field(b, "peer_principal", c.peerPrincipal()).append(',');
        field(b, "downstream_remote_address", c.downstreamAddress());
        return b.append('}').toString();
    }

    private static StringBuilder field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":\"");
        String v = value == null ? "" : value;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
    }
}
