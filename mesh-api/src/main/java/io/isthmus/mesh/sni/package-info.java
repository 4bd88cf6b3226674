/**
 * Reading the server name of a TLS connection from its ClientHello without terminating TLS: an
 * incremental, bounded parser that accepts bytes as they arrive and names a reason for every refusal.
 * Shared by the proxies that pick a route or filter chain by SNI before (or instead of) terminating TLS.
 */
package io.isthmus.mesh.sni;
