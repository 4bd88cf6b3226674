/**
 * Transparent capture: the kernel side (the iptables rules, REDIRECT in the nat table or TPROXY in
 * the mangle table with policy routing, IPv4 and IPv6, that send a pod's TCP to the proxy, and with
 * DNS capture its UDP DNS to the DNS proxy, conntrack zones apart) and the
 * proxy side (the capture sockets that accept the captured connections, learn each one's original
 * destination from {@code SO_ORIGINAL_DST} or the transparent socket's local address, and hand it to
 * the listener of that destination).
 */
package io.isthmus.sidecar.capture;
