/**
 * Loading the Envoy bootstrap (YAML or JSON mapping of {@code envoy.config.bootstrap.v3.Bootstrap}):
 * node identity, admin address, the {@code xds-grpc} control-plane address and the static resources.
 */
package io.isthmus.sidecar.bootstrap;
