package io.isthmus.sidecar.xds;

import com.google.protobuf.Any;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.mesh.XdsNames;

import java.util.List;

/** Builders of the small xDS resources the tests push: Istio's outbound shapes. */
final class Resources {
    private Resources() {
    }

    static String clusterName(int port, String host) {
        return "outbound|" + port + "||" + host;
    }

    static Cluster edsCluster(String name) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .build();
    }

    static ClusterLoadAssignment endpoints(String cluster, String ip, int port) {
        return ClusterLoadAssignment.newBuilder().setClusterName(cluster)
                .addEndpoints(LocalityLbEndpoints.newBuilder().addLbEndpoints(LbEndpoint.newBuilder()
                        .setEndpoint(Endpoint.newBuilder().setAddress(address(ip, port)))))
                .build();
    }

    static Address address(String ip, int port) {
        return Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(ip).setPortValue(port)).build();
    }

    static Listener outboundListener(int port) {
        HttpConnectionManager hcm = HttpConnectionManager.newBuilder().setStatPrefix("out")
                .setRds(Rds.newBuilder().setRouteConfigName(XdsNames.outboundRoute(port))
                        .setConfigSource(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .addHttpFilters(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter.newBuilder()
                        .setName("envoy.filters.http.router").setTypedConfig(Any.pack(
                                io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDefaultInstance())))
                .build();
        return Listener.newBuilder().setName(XdsNames.outboundListener(port))
                .setAddress(address(XdsNames.OUTBOUND_BIND_ADDRESS, port))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Any.pack(hcm))))
                .build();
    }

    static RouteConfiguration route(int port, String host) {
        return RouteConfiguration.newBuilder().setName(XdsNames.outboundRoute(port))
                .addVirtualHosts(VirtualHost.newBuilder().setName(host + ":" + port)
                        .addDomains(host).addDomains(host + ":" + port).addDomains(host.substring(0, host.indexOf('.')))
                        .addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                                .setRoute(RouteAction.newBuilder().setCluster(clusterName(port, host)))))
                .build();
    }

    /** One service {@code host:port} with one endpoint, as a complete snapshot. */
    static Snapshot service(String version, String host, int port, String ip, List<Secret> secrets) {
        String cluster = clusterName(port, host);
        return Snapshot.create(List.of(edsCluster(cluster)), List.of(endpoints(cluster, ip, port)),
                List.of(outboundListener(port)), List.of(route(port, host)), secrets, version);
    }

    static Snapshot service(String version, String host, int port, String ip) {
        return service(version, host, port, ip, List.of());
    }
}
