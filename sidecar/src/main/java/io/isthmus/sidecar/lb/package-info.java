/**
 * Load balancing over a cluster's endpoints with Envoy's priority and locality semantics: a
 * priority receives load in proportion to its healthy share times the overprovisioning factor,
 * localities by their weights, endpoints by round robin or least request (power of two choices).
 */
package io.isthmus.sidecar.lb;
