/**
 * Load balancing over a cluster's endpoints with Envoy's priority and locality semantics: a
 * priority receives load in proportion to its healthy share times the overprovisioning factor,
 * localities by their weights, endpoints by round robin or least request (power of two choices);
 * and consistent hashing (RING_HASH, MAGLEV): per-priority hash rings and Maglev tables built once
 * per endpoint change, picked by a request's xxHash64.
 */
package io.isthmus.sidecar.lb;
