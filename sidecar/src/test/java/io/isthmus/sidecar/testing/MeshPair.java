package io.isthmus.sidecar.testing;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import java.util.List;
import java.util.Map;

/**
 * Two sidecars as in the mesh: a client ({@code productpage}) whose outbound listener reaches a
 * server ({@code reviews}) over mTLS through the server's inbound listener, which forwards to an app.
 */
public final class MeshPair {

    public final TlsMaterialSource.Mutable clientCerts;
    public final TlsMaterialSource.Mutable serverCerts;
    public final DataPlane client;
    public final DataPlane server;
    public final AppServer app;
    public final int outboundPort;
    public final int inboundPort;
    public final OutboundName service = Outbound.SERVICE;

    public MeshPair(TestMesh mesh, boolean strict, List<HttpFilter> inboundFilters) {
        app = mesh.app("reviews");
        inboundPort = TestMesh.freePort();
        serverCerts = mesh.workload("east", "default", "reviews");
        server = mesh.dataPlane(serverCerts);
        String inboundCluster = "inbound|" + app.port + "||";
        server.clusters().apply(Map.of(inboundCluster, Xds.staticCluster(inboundCluster, "127.0.0.1", app.port)), "1");
        server.listeners().apply(Map.of("inbound", Xds.inboundHttp("inbound", "127.0.0.3", inboundPort, inboundCluster,
                strict, inboundFilters)), "1");

        clientCerts = mesh.workload("east", "default", "productpage");
        client = mesh.dataPlane(clientCerts);
        applyClientCluster(1);
        client.endpoints().apply(Map.of(service.clusterName(), Xds.cla(service.clusterName(),
                Xds.group("z1", 0, Xds.inCluster(Xds.lbEndpoint("127.0.0.3", inboundPort, 1), "west")))), "1");
        outboundPort = TestMesh.freePort();
        client.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "9080")), "1");
        client.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of(service.host(), Outbound.AUTHORITY), Xds.prefixRoute("/", service.clusterName())))), "1");
    }

    /** (Re)applies the client's cluster; a different connect timeout makes new connection pools. */
    public void applyClientCluster(int connectTimeoutSeconds) {
        Cluster c = Xds.edsCluster(service.clusterName(), service.sni(), List.of("spiffe://cluster.local/ns/default/sa/reviews"))
                .toBuilder().setConnectTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(connectTimeoutSeconds))
                .build();
        client.clusters().apply(Map.of(service.clusterName(), c), "c" + connectTimeoutSeconds);
    }

    public TestMesh.Reply get(TestMesh mesh, String path) {
        return mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, path);
    }
}
