/**
 * The federated service registry: immutable records for services, ports, endpoints, east-west
 * gateways and cluster sync state, the read interface {@link io.isthmus.controller.registry.FederatedRegistry}
 * that the xDS translators consume, and the write interface {@link io.isthmus.controller.registry.RegistryWriter}
 * that discovery sources feed.
 */
package io.isthmus.controller.registry;
