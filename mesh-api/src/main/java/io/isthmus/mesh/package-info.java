/**
 * What the control plane and the data plane must agree on: service names and their SNI and xDS
 * cluster-name forms, SPIFFE ID strings, the topology model (cluster, network, locality),
 * well-known ports, labels, annotations and proxy node metadata keys. No I/O lives here.
 */
package io.isthmus.mesh;
