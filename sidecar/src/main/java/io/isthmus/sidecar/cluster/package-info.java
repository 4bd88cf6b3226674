/**
 * Upstream clusters: CDS resources translated to immutable {@link io.isthmus.sidecar.cluster.ClusterConfig}s,
 * and the live {@link io.isthmus.sidecar.cluster.UpstreamCluster} that combines a config with its
 * endpoints, load balancer, outlier detector, circuit breakers and connection pools.
 */
package io.isthmus.sidecar.cluster;
