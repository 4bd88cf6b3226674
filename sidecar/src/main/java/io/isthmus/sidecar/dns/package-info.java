/**
 * The DNS proxy: answers mesh hostnames (from the RDS virtual-host domains) with the outbound bind
 * address {@code 127.0.0.2}, forwards other names to the upstream resolver, or answers them with
 * {@code 127.0.0.2} too while a route configuration holds the {@code block_all} virtual host
 * (REGISTRY_ONLY); in transparent capture it answers mesh hostnames with their VIPs (the IP-literal
 * domains of their virtual hosts) and forwards the rest. The upstream ({@link io.isthmus.sidecar.dns.ResolvConf}) is
 * {@code --dns-upstream}, else the first {@code nameserver} of {@code /etc/resolv.conf} that is not the DNS
 * proxy itself, or none at all ({@code --dns-upstream none}: other names NXDOMAIN); the proxy's own lookups
 * go there too, never through the DNS proxy ({@link io.isthmus.sidecar.endpoint.DnsServerResolver}).
 */
package io.isthmus.sidecar.dns;
