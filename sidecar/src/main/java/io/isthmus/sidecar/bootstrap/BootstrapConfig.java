package io.isthmus.sidecar.bootstrap;

import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A loaded, checked Envoy bootstrap with the parts the proxy uses picked out.
 *
 * @param bootstrap   the whole bootstrap message
 * @param node        who this proxy is
 * @param admin       the admin address from {@code admin.address.socket_address}, if any
 * @param controlPlane the ADS server, from the static cluster named by
 *                    {@code dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name}
 *                    (by convention {@code xds-grpc}); empty when the bootstrap has no ADS
 * @param source      where it was read from, for messages
 */
public record BootstrapConfig(Bootstrap bootstrap, NodeInfo node, Optional<HostPort> admin,
                              Optional<ControlPlaneAddress> controlPlane, String source) {

    public BootstrapConfig {
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(controlPlane, "controlPlane");
        Objects.requireNonNull(source, "source");
    }

    /** {@code static_resources.listeners}. */
    public List<Listener> staticListeners() {
        return bootstrap.getStaticResources().getListenersList();
    }

    /**
     * {@code static_resources.clusters} without the control-plane cluster, which only the xDS
     * client uses.
     */
    public List<Cluster> staticClusters() {
        String xds = controlPlane.map(ControlPlaneAddress::clusterName).orElse("");
        return bootstrap.getStaticResources().getClustersList().stream()
                .filter(c -> !c.getName().equals(xds)).toList();
    }

    /** {@code static_resources.secrets}. */
    public List<Secret> staticSecrets() {
        return bootstrap.getStaticResources().getSecretsList();
    }

    /**
     * Where the ADS server is and how to reach it.
     *
     * @param clusterName the static cluster's name ({@code xds-grpc})
     * @param address     its first endpoint
     * @param tls         whether the cluster has a {@code transport_socket} (or uses the secure
     *                    port 15012): then the stream runs over mTLS
     * @param serverName  the name the controller's certificate must carry: the cluster's
     *                    {@code UpstreamTlsContext.sni} if set, else {@code isthmus-controller.isthmus-system.svc}
     */
    public record ControlPlaneAddress(String clusterName, HostPort address, boolean tls, String serverName) {
        public ControlPlaneAddress {
            Objects.requireNonNull(clusterName, "clusterName");
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(serverName, "serverName");
        }
    }
}
