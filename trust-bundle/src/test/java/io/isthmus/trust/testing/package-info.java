/** Test fixtures shared with other modules through the trust-bundle test-jar: a whole mesh PKI in one call. */
package io.isthmus.trust.testing;
