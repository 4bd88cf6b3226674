package io.isthmus.sidecar.testing;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import java.util.List;
import java.util.Map;

/** An outbound sidecar set up for one service, as the controller would configure it. */
public final class Outbound {

    public static final OutboundName SERVICE = OutboundName.of("reviews.default.svc.cluster.local", 9080);
    public static final String AUTHORITY = "reviews.default.svc.cluster.local:9080";

    public final DataPlane dataPlane;
    public final int port;

    private Outbound(DataPlane dataPlane, int port) {
        this.dataPlane = dataPlane;
        this.port = port;
    }

    /** A plaintext outbound listener on 127.0.0.2 routing the service to {@code cluster}, with {@code route}'s action. */
    public static Outbound create(TestMesh mesh, Cluster cluster, RouteAction.Builder action) {
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        dp.clusters().apply(Map.of(cluster.getName(), cluster), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "9080")), "1");
        Route route = Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                .setRoute(action.setCluster(cluster.getName())).build();
        dp.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of(SERVICE.host(), AUTHORITY), route))), "1");
        return new Outbound(dp, port);
    }

    /**
     * A client sidecar with a plaintext outbound listener on 127.0.0.2 whose one route sends the service to its
     * cluster ({@link #SERVICE}), which the test applies later.
     */
    public static Outbound routingToServiceCluster(TestMesh mesh) {
        DataPlane dp = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "9080")), "1");
        dp.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of(SERVICE.host(), AUTHORITY), Xds.prefixRoute("/", SERVICE.clusterName())))), "1");
        return new Outbound(dp, port);
    }

    /** A plain EDS cluster of the service (no TLS) with outlier detection {@code od} when not null. */
    public static Cluster cluster(io.envoyproxy.envoy.config.cluster.v3.OutlierDetection od) {
        Cluster c = Xds.edsCluster(SERVICE.clusterName(), null, List.of());
        return od == null ? c : c.toBuilder().setOutlierDetection(od).build();
    }

    public void endpoints(ClusterLoadAssignment cla) {
        dataPlane.endpoints().apply(Map.of(cla.getClusterName(), cla), "e" + System.nanoTime());
    }

    public TestMesh.Reply get(TestMesh mesh, String path) {
        return mesh.get("127.0.0.2", port, AUTHORITY, path);
    }
}
