/**
 * Reading the server name of a TLS connection from its ClientHello without terminating TLS: an
 * incremental, bounded parser that accepts bytes as they arrive and names a reason for every refusal.
 */
package io.isthmus.gateway.sni;
