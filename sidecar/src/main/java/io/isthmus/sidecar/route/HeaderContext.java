package io.isthmus.sidecar.route;

import io.vertx.core.net.SocketAddress;

/**
 * What the {@code %OPERATOR%}s of a header value read from the request they are rendered for. Implemented by
 * the proxy's request handling; confined to the request's event loop.
 */
public interface HeaderContext {

    /**
     * The trusted client's IP address as the connection manager decided it (the peer, or an x-forwarded-for entry);
     * empty when unknown.
     */
    String clientAddress();

    /** The downstream connection's peer; null when unknown. */
    SocketAddress downstreamPeer();

    /** The downstream connection's local address (its original destination when captured); null when unknown. */
    SocketAddress downstreamLocal();

    /** The upstream endpoint of the request's last attempt as {@code ip:port}; empty before the first attempt. */
    String upstreamAddress();

    /** The downstream protocol: {@code HTTP/1.0}, {@code HTTP/1.1} or {@code HTTP/2}. */
    String protocol();

    /** When the request began, in milliseconds since the epoch. */
    long startMillis();
}
