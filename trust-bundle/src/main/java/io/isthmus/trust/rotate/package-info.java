/** Renewal of workload certificates before they expire, with listeners that hot-swap the new key and chain. */
package io.isthmus.trust.rotate;
