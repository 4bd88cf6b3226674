/**
 * Discovery sources that feed the federated registry: one {@link io.isthmus.controller.discovery.KubernetesClusterDiscovery}
 * per cluster API server (fabric8 informers on Services, EndpointSlices, Pods, Nodes and Namespaces),
 * and the {@link io.isthmus.controller.discovery.FileRegistry} for places without Kubernetes.
 */
package io.isthmus.controller.discovery;
