package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.route.HeaderContext;
import io.isthmus.sidecar.route.HeaderMutations;
import io.vertx.core.MultiMap;
import io.vertx.core.net.SocketAddress;

/**
 * The header mutations of one request's route (or chosen weighted cluster), with what their {@code %OPERATOR%}s
 * read from the request. Made only for a request whose route has mutations. Confined to the request's event loop.
 */
final class RouteHeaders implements HeaderContext {

    private final HeaderMutations mutations;
    private final HttpExchange exchange;
    private final String clientAddress;
    private final SocketAddress peer;
    private final SocketAddress local;
    private final String protocol;
    private final long startNanos;
    /** The request's start in epoch milliseconds, computed once when first rendered (-1 before). */
    private long startMillis = -1;

    private RouteHeaders(HeaderMutations mutations, HttpExchange exchange, String clientAddress, SocketAddress peer,
                         SocketAddress local, String protocol, long startNanos) {
        this.mutations = mutations;
        this.exchange = exchange;
        this.clientAddress = clientAddress;
        this.peer = peer;
        this.local = local;
        this.protocol = protocol;
        this.startNanos = startNanos;
    }

    /**
     * The mutations of a request, or null when there are none (nothing is allocated for most requests).
     *
     * @param clientAddress the trusted client's IP address
     * @param peer the downstream connection's peer
     * @param local the downstream connection's local address (original destination)
     * @param protocol the downstream protocol, e.g. {@code HTTP/1.1}
     * @param startNanos when the request began, {@link System#nanoTime()}
     */
    static RouteHeaders of(HeaderMutations mutations, HttpExchange exchange, String clientAddress, SocketAddress peer,
                           SocketAddress local, String protocol, long startNanos) {
        return mutations.isEmpty() ? null
                : new RouteHeaders(mutations, exchange, clientAddress, peer, local, protocol, startNanos);
    }

    /** Mutates the request headers, once per request before its first attempt (retries and mirrors send them as they are). */
    void request(MultiMap headers) {
        mutations.applyToRequest(headers, this);
    }

    /** Mutates the headers of the response sent downstream: an upstream's, a direct response or a local reply. */
    void response(MultiMap headers) {
        mutations.applyToResponse(headers, this);
    }

    @Override
    public String clientAddress() {
        return clientAddress;
    }

    @Override
    public SocketAddress downstreamPeer() {
        return peer;
    }

    @Override
    public SocketAddress downstreamLocal() {
        return local;
    }

    @Override
    public String upstreamAddress() {
        return exchange.upstreamAddress();
    }

    @Override
    public String protocol() {
        return protocol;
    }

    @Override
    public long startMillis() {
        if (startMillis < 0) {
            startMillis = System.currentTimeMillis() - (System.nanoTime() - startNanos) / 1_000_000;
        }
        return startMillis;
    }
}
