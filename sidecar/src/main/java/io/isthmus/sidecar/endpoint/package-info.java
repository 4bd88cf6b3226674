/**
 * Concrete upstream endpoints: EDS load assignments translated to priorities, localities and
 * endpoints (with their transport socket labels, {@link io.isthmus.sidecar.endpoint.SocketMatchLabels}), each
 * endpoint's live state (active requests, success counts per interval, outlier ejection), Envoy's
 * outlier detection (consecutive errors, success rate, failure percentage), and
 * the expansion of DNS clusters' host names into endpoints ({@link io.isthmus.sidecar.endpoint.HostResolver}: the JDK's,
 * or, when the proxy runs a DNS proxy, {@link io.isthmus.sidecar.endpoint.DnsServerResolver}, the hosts file then the
 * DNS proxy's upstream).
 */
package io.isthmus.sidecar.endpoint;
