package io.isthmus.sidecar.xds;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;

/**
 * The data plane as the xDS client sees it: one {@link ResourceHandler} per resource type the
 * proxy serves traffic from. {@code default} and {@code ROOTCA} are not its secrets: they are
 * resolved by {@code io.isthmus.sidecar.cert}, which the data plane reads through
 * {@code io.isthmus.sidecar.cert.CertificateSource}; every other SDS secret (gateway credentials)
 * goes to {@link #secrets()}.
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

    /**
     * Handler for the SDS secrets other than {@code default} and {@code ROOTCA} (gateway credentials
     * {@code kubernetes://...}); the complete set of them on every update. By default they are
     * refused, for engines that serve no such secret.
     */
    default ResourceHandler<Secret> secrets() {
        return (resources, version) -> {
            if (!resources.isEmpty()) {
                String name = resources.keySet().iterator().next();
                throw new XdsResourceException(XdsResourceType.SECRET.typeUrl(), name, "name",
                        "this proxy serves no named secrets; only " + io.isthmus.mesh.XdsNames.ROOT_SECRET + " is accepted");
            }
        };
    }
}
