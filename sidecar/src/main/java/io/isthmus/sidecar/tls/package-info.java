/**
 * Mutual TLS of the data path: the workload certificate and trust bundle in force, presented and
 * checked at every handshake by trust-bundle's {@link io.isthmus.trust.tls.SwappableKeyManager} and
 * {@link io.isthmus.trust.tls.SpiffeTrustManager} (so a rotated certificate or a new root is used by
 * the next handshake while open connections continue), the expected identities of a cluster, and
 * the Vert.x SSL options built from them; and TLS originated to servers outside the mesh
 * ({@link io.isthmus.sidecar.tls.OriginationSpec}: CA file, inline or SDS secret, typed SAN matchers,
 * client certificate by SDS name); and the TLS that gateway listeners terminate
 * ({@link io.isthmus.sidecar.tls.DownstreamTls}): named SDS secrets such as
 * {@code kubernetes://<credentialName>} and {@code -cacert} ({@link io.isthmus.sidecar.tls.NamedSecrets}),
 * whose key and trust managers are updated in place when a new version arrives.
 */
package io.isthmus.sidecar.tls;
