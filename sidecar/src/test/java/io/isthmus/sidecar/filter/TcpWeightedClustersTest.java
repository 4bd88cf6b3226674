package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code tcp_proxy} with {@code weighted_clusters} (Istio's VirtualService {@code tcp} route with weighted
 * destinations, e.g. a 90/10 canary): each new connection picks one cluster by weight and keeps it, also while the
 * endpoints of that cluster refuse and the next one is tried; the TCP metrics name the cluster picked. Real sockets:
 * upstream servers that answer with their name; the data plane draws from a seeded random.
 */
class TcpWeightedClustersTest {
    static final String MAIN = "outbound|7070||orders-db.default.svc.cluster.local";
    static final String CANARY = "outbound|7070||orders-db-canary.default.svc.cluster.local";

    @TempDir
    Path dir;
    TestMesh mesh;
    DataPlane dp;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        mesh.useRandom(new Random(0x7C9L));
        dp = mesh.dataPlane(mesh.workload("east", "default", "client"));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    /** An upstream that answers each chunk it receives with its two-letter name. */
    private int server(String name) {
        int port = TestMesh.freePort();
        NetServer s = mesh.vertx.createNetServer().connectHandler(c -> c.handler(b -> c.write(Buffer.buffer(name))));
        TestMesh.await(s.listen(port, "127.0.0.1"));
        return port;
    }

    private static Listener weightedListener(int port, ClusterWeight... clusters) {
        TcpProxy tp = TcpProxy.newBuilder().setStatPrefix("orders-db").setWeightedClusters(
                TcpProxy.WeightedCluster.newBuilder().addAllClusters(List.of(clusters))).build();
        return Listener.newBuilder().setName("0.0.0.0_7070").setAddress(Xds.address("127.0.0.2", port))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy").setTypedConfig(Xds.any(tp))))
                .build();
    }

    private static ClusterWeight cw(String name, int weight) {
        return ClusterWeight.newBuilder().setName(name).setWeight(weight).build();
    }

    /** Opens {@code n} connections one after the other and counts which upstream answered each. */
    private static Map<String, Integer> connect(int port, int n) throws Exception {
        Map<String, Integer> answered = new HashMap<>();
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket("127.0.0.2", port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write('?');
                s.getOutputStream().flush();
                byte[] buf = new byte[2];
                InputStream in = s.getInputStream();
                int read = 0;
                while (read < buf.length) {
                    int r = in.read(buf, read, buf.length - read);
                    assertThat(r).as("connection %d was answered before it closed", i).isPositive();
                    read += r;
                }
                answered.merge(new String(buf, StandardCharsets.US_ASCII), 1, Integer::sum);
            }
        }
        return answered;
    }

    /** The sum of a counter's series whose destination_service is {@code service}. */
    private static double counter(String scrape, String metric, String service) {
        return scrape.lines().filter(l -> l.startsWith(metric + "{") && l.contains("destination_service=\"" + service + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void ninetyTenSplitsNewConnectionsByWeightAndTheMetricsNameThePickedCluster() throws Exception {
        dp.clusters().apply(Map.of(MAIN, Xds.staticCluster(MAIN, "127.0.0.1", server("v1")),
                CANARY, Xds.staticCluster(CANARY, "127.0.0.1", server("v2"))), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("0.0.0.0_7070", weightedListener(port, cw(MAIN, 90), cw(CANARY, 10))), "1");

        int n = 1000;
        Map<String, Integer> answered = connect(port, n);

        assertThat(answered.getOrDefault("v1", 0) + answered.getOrDefault("v2", 0)).isEqualTo(n);
        assertThat(answered.getOrDefault("v2", 0) / (double) n).as("the canary's share of %s", answered).isBetween(0.07, 0.13);
        String scrape = dp.telemetry().scrape();
        assertThat(counter(scrape, "istio_tcp_connections_opened_total", "orders-db-canary.default.svc.cluster.local"))
                .as("connections counted against the cluster picked").isEqualTo(answered.get("v2").doubleValue());
        assertThat(counter(scrape, "istio_tcp_connections_opened_total", "orders-db.default.svc.cluster.local"))
                .isEqualTo(answered.get("v1").doubleValue());
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(counter(dp.telemetry().scrape(),
                "istio_tcp_connections_closed_total", "orders-db-canary.default.svc.cluster.local"))
                .isEqualTo(answered.get("v2").doubleValue()));
        assertThat(counter(dp.telemetry().scrape(), "istio_tcp_received_bytes_total", "orders-db-canary.default.svc.cluster.local"))
                .as("one byte from the client per connection to the canary").isEqualTo(answered.get("v2").doubleValue());
    }

    @Test
    void aConnectionKeepsItsClusterWhileItsFirstEndpointRefusesAndTheNextAnswers() throws Exception {
        int refusing = TestMesh.freePort(); // nothing listens there
        // "a" sends every first attempt to the refusing endpoint (priority 0), the retry to its priority 1 endpoint
        Cluster a = Xds.staticCluster("a", "127.0.0.1", refusing).toBuilder().setLoadAssignment(Xds.cla("a",
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.1", refusing, 1)),
                Xds.group("z2", 1, Xds.lbEndpoint("127.0.0.1", server("aa"), 1)))).build();
        dp.clusters().apply(Map.of("a", a, "b", Xds.staticCluster("b", "127.0.0.1", server("bb"))), "1");
        int port = TestMesh.freePort();
        // "b" first: a retry that went back to the first cluster, or drew again, would end on "b"
        dp.listeners().apply(Map.of("0.0.0.0_7070", weightedListener(port, cw("b", 1), cw("a", 1))), "1");

        int n = 300;
        Map<String, Integer> answered = connect(port, n);

        assertThat(answered.getOrDefault("aa", 0) + answered.getOrDefault("bb", 0)).as("every connection answered").isEqualTo(n);
        assertThat(answered.getOrDefault("aa", 0) / (double) n)
                .as("half the connections pick a and stay on it after its refusal (drawing again would leave a quarter): %s", answered)
                .isBetween(0.4, 0.6);
    }

    @Test
    void aRefusedUpdateKeepsTheWeightsInForce() throws Exception {
        dp.clusters().apply(Map.of(MAIN, Xds.staticCluster(MAIN, "127.0.0.1", server("v1")),
                CANARY, Xds.staticCluster(CANARY, "127.0.0.1", server("v2"))), "1");
        int port = TestMesh.freePort();
        dp.listeners().apply(Map.of("0.0.0.0_7070", weightedListener(port, cw(MAIN, 90), cw(CANARY, 10))), "1");

        assertThatThrownBy(() -> dp.listeners().apply(Map.of("0.0.0.0_7070",
                weightedListener(port, cw(MAIN, 100), cw(CANARY, 0))), "2"))
                .isInstanceOfSatisfying(XdsResourceException.class, e -> assertThat(e.field())
                        .isEqualTo("filter_chains[0].filters[0].typed_config.weighted_clusters.clusters[1].weight"));

        Map<String, Integer> answered = connect(port, 200);
        assertThat(answered).as("still 90/10").containsOnlyKeys("v1", "v2");
    }

    @Test
    void theDrawMapsOntoTheWeightsInOrder() {
        TcpChain chain = new TcpChain("db", List.of(new TcpChain.WeightedCluster(MAIN, 90),
                new TcpChain.WeightedCluster(CANARY, 10)), List.of());
        Map<String, Integer> picked = new HashMap<>();
        for (long roll = 0; roll < 100; roll++) {
            picked.merge(chain.pick(roll(roll, 100)), 1, Integer::sum);
        }
        assertThat(picked).containsExactlyInAnyOrderEntriesOf(Map.of(MAIN, 90, CANARY, 10));
        TcpChain huge = new TcpChain("db", List.of(new TcpChain.WeightedCluster(MAIN, TcpChain.MAX_WEIGHT),
                new TcpChain.WeightedCluster(CANARY, TcpChain.MAX_WEIGHT)), List.of());
        assertThat(huge.pick(roll(TcpChain.MAX_WEIGHT - 1, 2 * TcpChain.MAX_WEIGHT))).isEqualTo(MAIN);
        assertThat(huge.pick(roll(TcpChain.MAX_WEIGHT, 2 * TcpChain.MAX_WEIGHT))).as("weights summed without overflow")
                .isEqualTo(CANARY);
    }

    /** A generator whose bounded draw is {@code value}, checking the bound is the sum of the weights. */
    private static RandomGenerator roll(long value, long expectedBound) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new AssertionError("unbounded draw");
            }

            @Override
            public long nextLong(long bound) {
                assertThat(bound).isEqualTo(expectedBound);
                return value;
            }
        };
    }
}
