package io.isthmus.sidecar.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsTypeRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the Envoy bootstrap (JSON) of a benchmark proxy run as {@code isthmus proxy}: the same resources as
 * {@link BenchProxy} gives its data plane, as {@code static_resources} (clusters STATIC with their one
 * endpoint, the outbound routes inline in the listener), and an ADS source at {@code ADS_PORT} (a port
 * where nothing answers: the xDS client runs and retries, as a proxy's does while its controller is away).
 * {@code BenchBootstrap server FILE INBOUND_PORT APP_PORT ADS_PORT} or
 * {@code BenchBootstrap client FILE OUTBOUND_PORT SERVER_INBOUND_PORT EXTRA_CLUSTERS ADS_PORT}.
 */
public final class BenchBootstrap {
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        int port = Integer.parseInt(args[2]);
        int target = Integer.parseInt(args[3]);
        int ads = Integer.parseInt(args[args.length - 1]);
        Bootstrap.Builder b = Bootstrap.newBuilder().setNode(Node.newBuilder()
                .setId("sidecar~127.0.0.3~" + args[0] + "-0.default~default.svc.cluster.local").setCluster(args[0])
                .setMetadata(Struct.newBuilder()
                        .putFields("CLUSTER_ID", Value.newBuilder().setStringValue("east").build())
                        .putFields("NETWORK", Value.newBuilder().setStringValue("net-east").build())
                        .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build())
                        .putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(args[0]).build())
                        .putFields("WORKLOAD_NAME", Value.newBuilder().setStringValue(args[0]).build())));
        b.getDynamicResourcesBuilder().setAdsConfig(ApiConfigSource.newBuilder()
                .setApiType(ApiConfigSource.ApiType.GRPC)
                .addGrpcServices(GrpcService.newBuilder().setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder()
                        .setClusterName("xds-grpc"))));
        var statics = b.getStaticResourcesBuilder();
        statics.addClusters(Xds.staticCluster("xds-grpc", "127.0.0.1", ads));
        if (args[0].equals("server")) {
            String cluster = "inbound|" + target + "||";
            statics.addClusters(Xds.staticCluster(cluster, "127.0.0.1", target));
            statics.addListeners(Xds.inboundHttp("inbound", "127.0.0.3", port, cluster, true, List.of()));
        } else {
            int extra = Integer.parseInt(args[4]);
            List<VirtualHost> vhosts = new ArrayList<>();
            for (int i = 0; i <= extra; i++) {
                OutboundName svc = OutboundName.of(i == 0 ? "reviews.default.svc.cluster.local"
                        : "svc" + i + ".default.svc.cluster.local", 9080);
                String name = svc.clusterName();
                Cluster eds = Xds.edsCluster(name, svc.sni(),
                        List.of("spiffe://cluster.local/ns/default/sa/" + (i == 0 ? "reviews" : "svc" + i)));
                Cluster one = Xds.staticCluster(name, "127.0.0.3", i == 0 ? target : 20000 + i);
                statics.addClusters(one.toBuilder().setTransportSocket(eds.getTransportSocket())
                        .setLbPolicy(eds.getLbPolicy()));
                vhosts.add(Xds.vhost(svc.host(), List.of(svc.host(), svc.host() + ":9080"), Route.newBuilder()
                        .setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(RouteAction.newBuilder().setCluster(name).setRetryPolicy(Xds.meshRetry())).build()));
            }
            Listener rds = Xds.outboundHttp("out", "127.0.0.2", port, "9080");
            Filter f = rds.getFilterChains(0).getFilters(0);
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class).toBuilder()
                    .setRouteConfig(Xds.routes("9080", vhosts.toArray(new VirtualHost[0]))).build();
            statics.addListeners(rds.toBuilder().setFilterChains(0, rds.getFilterChains(0).toBuilder()
                    .setFilters(0, f.toBuilder().setTypedConfig(Xds.any(hcm)))));
        }
        Files.writeString(file, XdsTypeRegistry.printer().print(b.build()));
    }
}
