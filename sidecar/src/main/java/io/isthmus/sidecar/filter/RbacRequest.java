package io.isthmus.sidecar.filter;

import io.vertx.core.MultiMap;
import java.net.InetAddress;
import java.util.Objects;

/**
 * What RBAC looks at: the connection (peer identity, addresses, ports, SNI) and, for HTTP, the
 * request (method, path, host, headers).
 *
 * @param principal the peer's verified SPIFFE ID, empty when none
 * @param sourceIp the downstream address, null when unknown
 * @param destinationIp the local address, null when unknown
 * @param destinationPort the local port
 * @param serverName the TLS SNI, empty when none
 * @param method the HTTP method, empty for TCP
 * @param path the HTTP path with query, empty for TCP
 * @param host the Host/:authority, empty for TCP
 * @param headers the request headers, empty for TCP
 */
public record RbacRequest(String principal, InetAddress sourceIp, InetAddress destinationIp, int destinationPort,
                          String serverName, String method, String path, String host, MultiMap headers) {
    public RbacRequest {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(serverName, "serverName");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(headers, "headers");
    }

    /** A header by lower-case name, pseudo headers included; null when absent. */
    public String header(String name) {
        return switch (name) {
            case ":method" -> method.isEmpty() ? null : method;
            case ":path" -> path.isEmpty() ? null : path;
            case ":authority", "host" -> host.isEmpty() ? null : host;
            default -> headers.get(name);
        };
    }
}
