/**
 * The DNS proxy: answers mesh hostnames (from the RDS virtual-host domains) with the outbound bind
 * address {@code 127.0.0.2}, forwards other names to the upstream resolver, or answers them with
 * {@code 127.0.0.2} too while a route configuration holds the {@code block_all} virtual host
 * (REGISTRY_ONLY); in transparent capture it answers mesh hostnames with their VIPs (the IP-literal
 * domains of their virtual hosts) and forwards the rest.
 */
package io.isthmus.sidecar.dns;
