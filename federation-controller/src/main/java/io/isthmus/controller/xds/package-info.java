/**
 * The ADS transport: the aggregated discovery service (state of the world) hosted on Vert.x, one
 * {@link io.isthmus.controller.xds.ProxyStream} per connected proxy holding its subscriptions and
 * its ACK/NACK state, debounced pushes that reach only the proxies whose resources changed, and the
 * TLS listeners on 15012 (and 15010 plaintext when configured).
 */
package io.isthmus.controller.xds;
