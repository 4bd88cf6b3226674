/**
 * Upstream clusters: CDS resources translated to immutable {@link io.isthmus.sidecar.cluster.ClusterConfig}s,
 * and the live {@link io.isthmus.sidecar.cluster.UpstreamCluster} that combines a config with its
 * endpoints, load balancer, outlier detector, circuit breakers and connection pools (one client per
 * event loop, {@link io.isthmus.sidecar.cluster.ConnectionPools}; one set of them per TLS its endpoints' connections
 * may use, chosen by {@code transport_socket_matches}: {@code UpstreamTransports}); the periodic
 * resolution of STRICT_DNS and LOGICAL_DNS clusters; ORIGINAL_DST clusters, whose one host per
 * connection is its original destination ({@code OriginalDstClusters}); the outlier-detection interval timers
 * ({@code OutlierIntervals}); and the choice between mesh mTLS and TLS
 * origination for a cluster's upstream TLS ({@link io.isthmus.sidecar.cluster.ClusterTls}).
 */
package io.isthmus.sidecar.cluster;
