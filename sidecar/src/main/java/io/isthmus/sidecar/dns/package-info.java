/**
 * The DNS proxy: answers mesh hostnames (from the RDS virtual-host domains) with the outbound bind
 * address {@code 127.0.0.2}, forwards other names to the upstream resolver.
 */
package io.isthmus.sidecar.dns;
