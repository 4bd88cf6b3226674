/**
 * Listeners: LDS resources translated to immutable {@link io.isthmus.sidecar.listener.ListenerConfig}s
 * with their filter chains, and the sockets that serve them (HTTP/1.1, h2c, TLS with ALPN h2, TCP),
 * bound, reconfigured and closed as the configuration changes: one server for a single chain, a
 * first-byte sniffer for Istio's PERMISSIVE pair, one TLS server choosing certificates by SNI, or a
 * front socket that reads the ClientHello's server name, chooses the chain as Envoy does, relays
 * TLS passthrough and hands terminating chains to internal servers. Capture listeners
 * ({@code use_original_dst}, {@code transparent}, the {@code original_dst} listener filter,
 * {@code bind_to_port: false}) are served by such a front socket on loopback, which takes the
 * connections a capture socket of {@link io.isthmus.sidecar.capture} (REDIRECT or TPROXY) hands it
 * and chooses chains by their original destination.
 */
package io.isthmus.sidecar.listener;
