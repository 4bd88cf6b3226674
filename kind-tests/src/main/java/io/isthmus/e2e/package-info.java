/**
 * The local federation runner and the demo app used by the end-to-end suite.
 */
package io.isthmus.e2e;
