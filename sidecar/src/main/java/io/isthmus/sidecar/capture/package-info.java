/**
 * Transparent capture: the kernel side (the iptables and policy-routing rules that send a pod's TCP
 * to the proxy with TPROXY) and the proxy side (the transparent sockets that accept the captured
 * connections and hand each to the listener of its original destination).
 */
package io.isthmus.sidecar.capture;
