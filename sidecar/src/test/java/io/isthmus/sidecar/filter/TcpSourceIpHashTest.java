package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.type.v3.HashPolicy;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code tcp_proxy} with {@code hash_policy: source_ip} in front of a RING_HASH cluster (Istio's
 * {@code consistentHash.useSourceIp} on a TCP port): every connection from one client address reaches one endpoint,
 * and client addresses spread over the endpoints. Real sockets; the clients bind distinct loopback addresses.
 */
class TcpSourceIpHashTest {
    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;
    int port;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
        String name = Outbound.SERVICE.clusterName();
        Cluster ring = Outbound.cluster(null).toBuilder().setLbPolicy(Cluster.LbPolicy.RING_HASH).build();
        dp.clusters().apply(Map.of(name, ring), "1");
        dp.endpoints().apply(Map.of(name, Xds.cla(name, Xds.group("z1", 0,
                Xds.lbEndpoint("127.0.0.1", server("a"), 1), Xds.lbEndpoint("127.0.0.1", server("b"), 1),
                Xds.lbEndpoint("127.0.0.1", server("c"), 1)))), "1");
        port = TestMesh.freePort();
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private int server(String name) {
        int p = TestMesh.freePort();
        NetServer s = mesh.vertx.createNetServer().connectHandler(c -> c.handler(b -> c.write(Buffer.buffer(name))));
        TestMesh.await(s.listen(p, "127.0.0.1"));
        return p;
    }

    private void listener(boolean sourceIpHash) {
        TcpProxy.Builder tp = TcpProxy.newBuilder().setStatPrefix("reviews").setCluster(Outbound.SERVICE.clusterName());
        if (sourceIpHash) {
            tp.addHashPolicy(HashPolicy.newBuilder().setSourceIp(HashPolicy.SourceIp.getDefaultInstance()));
        }
        dp.listeners().apply(Map.of("tcp", Listener.newBuilder().setName("tcp").setAddress(Xds.address("127.0.0.2", port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy").setTypedConfig(Xds.any(tp.build()))))
                .build()), "v" + System.nanoTime());
    }

    /** The endpoint that answers a new connection from {@code client}. */
    private String answerFrom(String client) throws Exception {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.2"), port, InetAddress.getByName(client), 0)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write('?');
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] b = new byte[1];
            assertThat(in.read(b)).isEqualTo(1);
            return new String(b, StandardCharsets.US_ASCII);
        }
    }

    @Test
    void everyConnectionFromOneAddressReachesOneEndpointAndAddressesSpread() throws Exception {
        listener(true);
        Set<String> all = new HashSet<>();
        for (int c = 10; c < 40; c++) {
            String client = "127.0.3." + c;
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                seen.add(answerFrom(client));
            }
            assertThat(seen).as("endpoints reached from %s", client).hasSize(1);
            all.addAll(seen);
        }
        assertThat(all).as("30 client addresses over 3 endpoints").containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    void withoutTheHashPolicyConnectionsFromOneAddressSpread() throws Exception {
        listener(false);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            seen.add(answerFrom("127.0.3.10"));
        }
        assertThat(seen).as("a random hash per connection").hasSizeGreaterThan(1);
    }
}
