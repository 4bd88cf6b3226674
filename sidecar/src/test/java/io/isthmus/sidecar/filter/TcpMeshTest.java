package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An opaque TCP service across the mesh, as the controller configures it: the client sidecar's outbound
 * {@code tcp_proxy} listener to an EDS cluster with mesh mTLS (SNI, the server's SPIFFE ID checked), the server
 * sidecar's inbound listener terminating mTLS (client certificate required) with a {@code tcp_proxy} to the app.
 * Real sockets and real TLS; both sidecars count the connection with the peer's identity.
 */
class TcpMeshTest {
    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private static Listener tcpListener(String name, String host, int port, String cluster, TrafficDirection direction,
                                        boolean mtls) {
        FilterChain.Builder chain = FilterChain.newBuilder().addFilters(Filter.newBuilder()
                .setName("envoy.filters.network.tcp_proxy")
                .setTypedConfig(Xds.any(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build())));
        if (mtls) {
            chain.setTransportSocket(Xds.downstreamTls(true));
        }
        return Listener.newBuilder().setName(name).setAddress(Xds.address(host, port)).setTrafficDirection(direction)
                .addFilterChains(chain).build();
    }

    @Test
    void bytesCrossTheMeshOverMutualTlsBothWays() throws Exception {
        int appPort = TestMesh.freePort();
        NetServer app = mesh.vertx.createNetServer().connectHandler((NetSocket s) -> s.handler(b -> s.write(
                Buffer.buffer("echo:").appendBuffer(b))));
        TestMesh.await(app.listen(appPort, "127.0.0.1"));

        DataPlane server = mesh.dataPlane(mesh.workload("east", "default", "orders-db"));
        int inboundPort = TestMesh.freePort();
        String inbound = "inbound|" + appPort + "||";
        // as the controller sends it: the inbound cluster names the service it serves (Istio's istio.services metadata)
        com.google.protobuf.Value service = com.google.protobuf.Value.newBuilder().setStructValue(com.google.protobuf.Struct.newBuilder()
                .putFields("host", com.google.protobuf.Value.newBuilder().setStringValue("orders-db.default.svc.cluster.local").build()))
                .build();
        server.clusters().apply(Map.of(inbound, Xds.staticCluster(inbound, "127.0.0.1", appPort).toBuilder()
                .setMetadata(io.envoyproxy.envoy.config.core.v3.Metadata.newBuilder().putFilterMetadata("istio",
                        com.google.protobuf.Struct.newBuilder().putFields("services", com.google.protobuf.Value.newBuilder()
                                .setListValue(com.google.protobuf.ListValue.newBuilder().addValues(service)).build()).build()))
                .build()), "1");
        server.listeners().apply(Map.of("inbound", tcpListener("inbound", "127.0.0.3", inboundPort, inbound,
                TrafficDirection.INBOUND, true)), "1");

        DataPlane client = mesh.dataPlane(mesh.workload("east", "default", "client"));
        OutboundName db = OutboundName.of("orders-db.default.svc.cluster.local", 7070);
        client.clusters().apply(Map.of(db.clusterName(), Xds.edsCluster(db.clusterName(), db.sni(),
                List.of("spiffe://cluster.local/ns/default/sa/orders-db"))), "1");
        client.endpoints().apply(Map.of(db.clusterName(), Xds.cla(db.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.3", inboundPort, 1)))), "1");
        int outboundPort = TestMesh.freePort();
        client.listeners().apply(Map.of("out", tcpListener("out", "127.0.0.2", outboundPort, db.clusterName(),
                TrafficDirection.OUTBOUND, false)), "1");

        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket("127.0.0.2", outboundPort)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("ping" + i).getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                byte[] buf = new byte[10];
                int n = 0;
                InputStream in = s.getInputStream();
                while (n < buf.length) {
                    int r = in.read(buf, n, buf.length - n);
                    assertThat(r).as("the relay answered before closing (connection %d)", i).isPositive();
                    n += r;
                }
                assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("echo:ping" + i);
            }
        }
        assertThat(client.telemetry().scrape()).contains("istio_tcp_connections_opened_total{")
                .contains("destination_principal=\"spiffe://cluster.local/ns/default/sa/orders-db\"");
        assertThat(server.telemetry().scrape()).contains("istio_tcp_connections_opened_total{")
                .contains("source_principal=\"spiffe://cluster.local/ns/default/sa/client\"")
                .as("the server side names the service by its host name, and the series are Istio's TCP ones")
                .containsPattern("istio_tcp_connections_opened_total\\{[^}]*destination_service=\"orders-db.default.svc.cluster.local\""
                        + "[^}]*request_protocol=\"tcp\"[^}]*response_flags=\"-\"");
    }
}
