/**
 * Certificate authorities: creating the mesh root and per-cluster intermediates, the Istio {@code cacerts}
 * file layout, and issuing workload (X.509-SVID) and server certificates under the issuance rules.
 */
package io.isthmus.trust.ca;
