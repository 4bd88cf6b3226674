/**
 * Logical routing: RDS route configurations translated to immutable route tables (virtual hosts by
 * Host/:authority, routes by path and headers, weighted cluster targets, timeouts and retry
 * policies, hash policies of consistent-hash clusters, direct responses such as the {@code block_all}
 * refusal of REGISTRY_ONLY), and the lookup of a request's route.
 */
package io.isthmus.sidecar.route;
