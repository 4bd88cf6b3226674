/**
 * Choosing which local endpoint gets a connection: nearest priority first, round robin within it,
 * endpoints that refused connections ejected for a while (outlier detection).
 */
package io.isthmus.gateway.lb;
