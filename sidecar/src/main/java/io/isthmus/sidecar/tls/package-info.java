/**
 * Mutual TLS of the data path: the workload certificate and trust bundle in force, key and trust
 * managers that read them at every handshake (so a rotated certificate is used by the next
 * handshake while open connections continue), SPIFFE identity checks, and the Vert.x SSL options
 * built from them.
 */
package io.isthmus.sidecar.tls;
