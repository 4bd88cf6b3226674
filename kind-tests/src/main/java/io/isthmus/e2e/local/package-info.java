/**
 * The local federation runner: per simulated cluster an API server (fabric8 mock server, CRUD
 * mode, HTTPS) that the runner keeps up to date as kubelet and endpoint controller would, the
 * mesh PKI, each primary's controller, each network's east-west gateway and each pod (demo app
 * plus sidecar) as child processes in their own network namespaces, or without privileges on
 * their own loopback addresses (not isolated; a pod's JVM then resolves mesh names from its own
 * hosts file, {@link io.isthmus.e2e.local.PodHosts}); and {@code isthmus local}.
 */
package io.isthmus.e2e.local;
