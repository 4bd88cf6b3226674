/**
 * Listeners: LDS resources translated to immutable {@link io.isthmus.sidecar.listener.ListenerConfig}s
 * with their filter chains, and the sockets that serve them (HTTP/1.1, h2c, TLS with ALPN h2, TCP),
 * bound, reconfigured and closed as the configuration changes: one server for a single chain, a
 * first-byte sniffer for Istio's PERMISSIVE pair, one TLS server choosing certificates by SNI, or a
 * front socket that reads the ClientHello's server name, chooses the chain as Envoy does, relays
 * TLS passthrough and hands terminating chains to internal servers.
 */
package io.isthmus.sidecar.listener;
