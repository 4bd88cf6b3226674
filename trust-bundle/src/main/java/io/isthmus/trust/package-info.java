/**
 * The mesh PKI: root and intermediate CAs, SPIFFE workload certificates, trust bundles and renewal. No network code.
 */
package io.isthmus.trust;
