/**
 * Logical routing: RDS route configurations translated to immutable route tables (virtual hosts by
 * Host/:authority, routes by path and headers, weighted cluster targets, timeouts and retry
 * policies), and the lookup of a request's route.
 */
package io.isthmus.sidecar.route;
