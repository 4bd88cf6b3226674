/**
 * Translation of the federated registry and the mesh configuration into Envoy xDS resources, one
 * translator per resource type, computed per proxy view (its cluster, network, locality and
 * namespace): listeners, routes, clusters, split-horizon endpoints and secrets. Ingress and egress
 * gateways get the listeners and routes of the Gateways selecting them and the TLS credentials of
 * their namespace.
 */
package io.isthmus.controller.translate;
