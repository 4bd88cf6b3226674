package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.lb.XxHash64;
import io.isthmus.sidecar.route.HashPolicy;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * One request's hash for a consistent-hash cluster, computed once from its route's {@link HashPolicy}, and the
 * cookies the policy generated for it, which go on the response relayed from the upstream (as Envoy's router sets
 * them on upstream responses, not on its own error answers). Confined to the request's event loop.
 */
final class RequestHash implements HashPolicy.Request {

    private final HttpServerRequest request;
    private final MultiMap headers;
    private final String authority;
    private final String clientAddress;
    private final SocketAddress remote;
    private final SocketAddress local;
    /** The {@code Set-Cookie} values to send; null while none (most requests). */
    private List<String> setCookies;
    private final OptionalLong hash;

    /**
     * @param headers the request headers as the connection manager forwards them
     * @param authority the request's authority as routed
     * @param clientAddress the client address the connection manager trusts (empty when unknown)
     * @param remote the downstream connection's peer
     * @param local the downstream connection's local (or original destination) address
     */
    RequestHash(HashPolicy policy, HttpServerRequest request, MultiMap headers, String authority, String clientAddress,
                SocketAddress remote, SocketAddress local) {
        this.request = request;
        this.headers = headers;
        this.authority = authority;
        this.clientAddress = clientAddress;
        this.remote = remote;
        this.local = local;
        this.hash = policy.hash(this);
    }

    /** The hash, empty when no rule of the policy found its input. */
    OptionalLong hash() {
        return hash;
    }

    /** Adds the generated cookies, if any, to a response relayed from the upstream. */
    void addCookies(MultiMap responseHeaders) {
        if (setCookies != null) {
            setCookies.forEach(c -> responseHeaders.add("set-cookie", c));
        }
    }

    @Override
    public List<String> headerValues(String name) {
        String pseudo = switch (name) {
            case ":authority", "host" -> authority;
            case ":path" -> request.uri();
            case ":method" -> request.method().name();
            case ":scheme" -> request.scheme() == null ? "http" : request.scheme();
            default -> null;
        };
        if (pseudo != null || name.startsWith(":")) {
            return pseudo == null || pseudo.isEmpty() ? List.of() : List.of(pseudo);
        }
        return headers.getAll(name);
    }

    @Override
    public String sourceIp() {
        if (!clientAddress.isEmpty()) {
            return clientAddress;
        }
        return remote == null ? null : remote.hostAddress();
    }

    @Override
    public String query() {
        return request.query();
    }

    /**
     * Envoy's generated value: the hexadecimal xxHash64 of the connection's peer and local addresses, so that
     * requests racing on one connection all get the same cookie.
     */
    @Override
    public String newCookie(String name, String path, Duration ttl) {
        String value = String.format("%016x", XxHash64.hash(address(remote) + address(local)));
        StringBuilder cookie = new StringBuilder(name).append("=\"").append(value).append('"');
        if (ttl.getSeconds() > 0) {
            cookie.append("; Max-Age=").append(ttl.getSeconds());
        }
        if (!path.isEmpty()) {
            cookie.append("; Path=").append(path);
        }
        cookie.append("; HttpOnly");
        if (setCookies == null) {
            setCookies = new ArrayList<>(1);
        }
        setCookies.add(cookie.toString());
        return value;
    }

    private static String address(SocketAddress a) {
        if (a == null || a.hostAddress() == null) {
            return "";
        }
        String host = a.hostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.port();
    }
}
