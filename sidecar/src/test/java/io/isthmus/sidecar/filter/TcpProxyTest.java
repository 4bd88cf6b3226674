package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opaque TCP through a tcp_proxy listener, and the malformed-HTTP guard of HTTP listeners. */
class TcpProxyTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void bytesAreRelayedBothWays() throws Exception {
        int echoPort = TestMesh.freePort();
        NetServer echo = mesh.vertx.createNetServer().connectHandler((NetSocket s) -> s.handler(b -> s.write(
                Buffer.buffer("echo:").appendBuffer(b))));
        TestMesh.await(echo.listen(echoPort, "127.0.0.1"));
        dp.clusters().apply(Map.of("db", Xds.staticCluster("db", "127.0.0.1", echoPort)), "1");
        int port = TestMesh.freePort();
        Listener tcp = Listener.newBuilder().setName("tcp").setAddress(Xds.address("127.0.0.2", port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(Xds.any(TcpProxy.newBuilder().setStatPrefix("db").setCluster("db").build()))))
                .build();
        dp.listeners().apply(Map.of("tcp", tcp), "1");

        try (Socket s = new Socket("127.0.0.2", port)) {
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] buf = new byte[9];
            int n = 0;
            InputStream in = s.getInputStream();
            while (n < 9) {
                n += in.read(buf, n, 9 - n);
            }
            assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("echo:ping");
        }
        assertThat(dp.telemetry().scrape()).contains("istio_tcp_connections_opened_total{");
    }

    @Test
    void contentLengthWithTransferEncodingIs400AndClosed() throws Exception {
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "80")), "1");

        try (Socket s = new Socket("127.0.0.2", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\nabcd\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400");
        }
    }

    @Test
    void networkRbacClosesDeniedConnectionsBeforeAnyByteIsRelayed() throws Exception {
        int echoPort = TestMesh.freePort();
        java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        NetServer echo = mesh.vertx.createNetServer().connectHandler(s -> accepted.incrementAndGet());
        TestMesh.await(echo.listen(echoPort, "127.0.0.1"));
        dp.clusters().apply(Map.of("db", Xds.staticCluster("db", "127.0.0.1", echoPort)), "1");
        io.envoyproxy.envoy.config.rbac.v3.RBAC deny = io.envoyproxy.envoy.config.rbac.v3.RBAC.newBuilder()
                .setAction(io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY)
                .putPolicies("loopback", io.envoyproxy.envoy.config.rbac.v3.Policy.newBuilder()
                        .addPermissions(io.envoyproxy.envoy.config.rbac.v3.Permission.newBuilder().setAny(true))
                        .addPrincipals(io.envoyproxy.envoy.config.rbac.v3.Principal.newBuilder().setDirectRemoteIp(
                                io.envoyproxy.envoy.config.core.v3.CidrRange.newBuilder().setAddressPrefix("127.0.0.0")
                                        .setPrefixLen(com.google.protobuf.UInt32Value.of(8))))
                        .build()).build();
        int port = TestMesh.freePort();
        Listener tcp = Listener.newBuilder().setName("tcp").setAddress(Xds.address("127.0.0.2", port))
                .addFilterChains(FilterChain.newBuilder()
                        .addFilters(Filter.newBuilder().setName("envoy.filters.network.rbac").setTypedConfig(Xds.any(
                                io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.newBuilder()
                                        .setStatPrefix("rbac").setRules(deny).build())))
                        .addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                                .setTypedConfig(Xds.any(TcpProxy.newBuilder().setStatPrefix("db").setCluster("db").build()))))
                .build();
        dp.listeners().apply(Map.of("tcp", tcp), "1");

        try (Socket s = new Socket("127.0.0.2", port)) {
            s.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(accepted.get()).isZero();
    }
}
