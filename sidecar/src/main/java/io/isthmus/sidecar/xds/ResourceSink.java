package io.isthmus.sidecar.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;

/**
 * The data plane as the xDS client sees it: one {@link ResourceHandler} per resource type the
 * proxy serves traffic from. Secrets are not here: {@code default} and {@code ROOTCA} are resolved
 * by {@code io.isthmus.sidecar.cert}, which the data plane reads through
 * {@code io.isthmus.sidecar.cert.CertificateSource}.
 */
public interface ResourceSink {

    /** Handler for LDS ({@code envoy.config.listener.v3.Listener}). */
    ResourceHandler<Listener> listeners();

    /** Handler for RDS ({@code envoy.config.route.v3.RouteConfiguration}). */
    ResourceHandler<RouteConfiguration> routes();

    /** Handler for CDS ({@code envoy.config.cluster.v3.Cluster}). */
    ResourceHandler<Cluster> clusters();

    /** Handler for EDS ({@code envoy.config.endpoint.v3.ClusterLoadAssignment}). */
    ResourceHandler<ClusterLoadAssignment> endpoints();
}
