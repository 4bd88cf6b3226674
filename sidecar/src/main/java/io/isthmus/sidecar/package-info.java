/**
 * The data-plane proxy, laid out in the order a request meets it: listener, filter, route, cluster, lb, endpoint.
 */
package io.isthmus.sidecar;
