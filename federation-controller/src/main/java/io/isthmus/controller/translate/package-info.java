/**
 * Translation of the federated registry and the mesh configuration into Envoy xDS resources, one
 * translator per resource type, computed per proxy view (its cluster, network, locality and
 * namespace): listeners, routes, clusters, split-horizon endpoints and secrets.
 */
package io.isthmus.controller.translate;
