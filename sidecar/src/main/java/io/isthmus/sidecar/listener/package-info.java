/**
 * Listeners: LDS resources translated to immutable {@link io.isthmus.sidecar.listener.ListenerConfig}s
 * and the sockets that serve them (HTTP/1.1, h2c, TLS with ALPN h2, TCP), bound, reconfigured and
 * closed as the configuration changes.
 */
package io.isthmus.sidecar.listener;
