package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many endpoints a TCP proxy connection tries ({@code max_connect_attempts}, three when unset), and that a
 * connection whose every attempt was refused is counted, as Istio counts one closed before any byte.
 */
class TcpConnectAttemptsTest {

    private static final String DB = new OutboundName(5432, "", "orders-db.default.svc.cluster.local").clusterName();

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        // every first attempt goes to the refusing endpoint (priority 0), a second one to the answering one (priority 1)
        int refusing = TestMesh.freePort();
        int answering = TestMesh.freePort();
        NetServer s = mesh.vertx.createNetServer().connectHandler(c -> c.handler(b -> c.write(Buffer.buffer("ok"))));
        TestMesh.await(s.listen(answering, "127.0.0.1"));
        Cluster db = Xds.staticCluster(DB, "127.0.0.1", refusing).toBuilder().setLoadAssignment(Xds.cla(DB,
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", refusing, 1)),
                Xds.group("z2", 1, Xds.lbEndpoint("127.0.0.1", answering, 1)))).build();
        dp.clusters().apply(Map.of(DB, db), "1");
        port = TestMesh.freePort();
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void unsetTheNextEndpointIsTriedAfterARefusal() throws Exception {
        dp.listeners().apply(Map.of("db", listener(TcpProxy.newBuilder())), "1");

        assertThat(answered()).isTrue();
    }

    @Test
    void oneAttemptClosesTheConnectionAtTheFirstRefusalAndCountsIt() throws Exception {
        dp.listeners().apply(Map.of("db", listener(TcpProxy.newBuilder().setMaxConnectAttempts(UInt32Value.of(1)))), "1");

        assertThat(answered()).as("closed without an answer").isFalse();
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(dp.telemetry().scrape())
                .containsPattern("istio_tcp_connections_opened_total\\{[^}]*destination_service=\"orders-db.default.svc.cluster.local\"[^}]*\\} 1\\.0")
                .containsPattern("istio_tcp_connections_closed_total\\{[^}]*destination_service=\"orders-db.default.svc.cluster.local\""
                        + "[^}]*response_flags=\"UF\"[^}]*\\} 1\\.0"));
    }

    @Test
    void zeroAttemptsAreRefusedByName() {
        assertThatThrownBy(() -> dp.listeners().apply(Map.of("db",
                listener(TcpProxy.newBuilder().setMaxConnectAttempts(UInt32Value.of(0)))), "1"))
                .isInstanceOfSatisfying(XdsResourceException.class, e -> assertThat(e.field())
                        .isEqualTo("filter_chains[0].filters[0].typed_config.max_connect_attempts"));
    }

    private Listener listener(TcpProxy.Builder tp) {
        return Listener.newBuilder().setName("db").setAddress(Xds.address("127.0.0.2", port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(Xds.any(tp.setStatPrefix(DB).setCluster(DB).build()))))
                .build();
    }

    /** Whether a new connection gets the upstream's answer before it closes. */
    private boolean answered() throws Exception {
        try (Socket s = new Socket("127.0.0.2", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write('?');
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[2];
            int read = 0;
            while (read < 2) {
                int r = in.read(buf, read, 2 - read);
                if (r < 0) {
                    return false;
                }
                read += r;
            }
            return true;
        } catch (java.net.SocketException reset) {
            return false;
        }
    }
}
