/**
 * The HTTP and TCP filter chains of a listener: the connection manager's settings, authorization
 * (RBAC), fault injection, and the router that takes a request through route, cluster, load
 * balancer, retries and timeouts to an upstream and streams the answer back; which requests are
 * internal and may steer the router with Envoy's {@code x-envoy-*} request headers.
 */
package io.isthmus.sidecar.filter;
