/**
 * Trust bundles: the set of mesh roots (several during a rotation, plus trust-domain aliases) and the
 * verification of a peer's certificate chain down to its SPIFFE ID, with a precise reason when it fails.
 */
package io.isthmus.trust.bundle;
