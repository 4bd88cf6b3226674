/**
 * Federation of clusters: remote secrets (their shape, parsing and creation), the lifecycle of each
 * joined cluster ({@link io.isthmus.controller.federation.ClusterManager}), the Hazelcast member that
 * holds the shared registry ({@link io.isthmus.controller.federation.HazelcastRegistry}), and which
 * replica watches which API server ({@link io.isthmus.controller.federation.ClusterOwnership}).
 */
package io.isthmus.controller.federation;
