/**
 * The scenario driver for real kind clusters ({@code -Disthmus.e2e.target=kind}): a
 * {@link io.isthmus.e2e.driver.kind.KindFederation} over the kubeconfig contexts that
 * {@code kind-tests/kind/up.sh} made, with the fabric8 client. Pods are driven through their
 * control port by port-forward; faults are Kubernetes operations on the objects of
 * {@code topology-configs/manifests} (Deployments scaled, pods deleted, Secrets written). The
 * topology up.sh installed says which clusters are primaries ({@code KindTopology}); an API server
 * is stopped and started from the Docker host by docker exec into its control-plane node
 * ({@code KindNodes}); an operator's CA files go into the cacerts Secrets ({@code KindCaFiles}).
 */
package io.isthmus.e2e.driver.kind;
