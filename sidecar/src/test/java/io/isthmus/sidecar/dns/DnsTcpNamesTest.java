package io.isthmus.sidecar.dns;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
import static io.isthmus.sidecar.dns.DnsProxyTest.ask;
import static io.isthmus.sidecar.dns.DnsProxyTest.query;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Opaque TCP services have no virtual host: the DNS proxy learns their names from the outbound listeners whose
 * TCP proxy leads to their cluster, and in capture their VIPs from the {@code <vip>_P} listeners, so two TCP
 * services sharing a port each resolve to their own ClusterIP. In capture mode NONE the one service the
 * port's listener leads to is answered with 127.0.0.2 and a service it shadows is not answered at all.
 * Real UDP sockets on loopback.
 */
class DnsTcpNamesTest {
    private static final String ORDERS = "orders-db.default.svc.cluster.local";
    private static final String USERS = "users-db.default.svc.cluster.local";

    final Vertx vertx = Vertx.vertx();
    final List<DnsProxy> proxies = new ArrayList<>();

    @AfterEach
    void tearDown() {
        proxies.forEach(DnsProxy::close);
        vertx.close();
    }

    private DnsProxy start(MeshHostnames names, boolean capture) throws Exception {
        DnsProxy p = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), names, Optional.empty(), Optional.empty(), capture)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        proxies.add(p);
        return p;
    }

    private static Listener tcp(String name, String address, int port, String cluster, boolean bound) {
        Listener.Builder b = Listener.newBuilder().setName(name)
                .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder().setAddress(address).setPortValue(port)))
                .setTrafficDirection(TrafficDirection.OUTBOUND)
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(cluster).setCluster(cluster).build()))));
        if (!bound) {
            b.setBindToPort(BoolValue.of(false));
        }
        return b.build();
    }

    /** An unbound capture-mode listener whose TCP proxy splits connections between {@code clusters} (90, 10, ...). */
    private static Listener weighted(String name, String address, int port, String... clusters) {
        TcpProxy.WeightedCluster.Builder w = TcpProxy.WeightedCluster.newBuilder();
        for (int i = 0; i < clusters.length; i++) {
            w.addClusters(TcpProxy.WeightedCluster.ClusterWeight.newBuilder().setName(clusters[i]).setWeight(i == 0 ? 90 : 10));
        }
        Listener l = tcp(name, address, port, clusters[0], false);
        return l.toBuilder().setFilterChains(0, l.getFilterChains(0).toBuilder().setFilters(0, l.getFilterChains(0).getFilters(0)
                .toBuilder().setTypedConfig(Any.pack(TcpProxy.newBuilder().setStatPrefix(name).setWeightedClusters(w).build()))))
                .build();
    }

    private static String address(DnsProxyTest.Answer a) throws Exception {
        return InetAddress.getByAddress(a.firstAddress()).getHostAddress();
    }

    @Test
    void inCaptureEachTcpServiceOnASharedPortResolvesToItsOwnVip() throws Exception {
        MeshHostnames names = new MeshHostnames();
        names.updateListeners(List.of(
                tcp("0.0.0.0_5432", "0.0.0.0", 5432, "outbound|5432||" + ORDERS, false),
                tcp("10.96.1.11_5432", "10.96.1.11", 5432, "outbound|5432||" + ORDERS, false),
                tcp("10.96.2.12_5432", "10.96.2.12", 5432, "outbound|5432||" + USERS, false),
                tcp("virtualOutbound", "0.0.0.0", 15001, "PassthroughCluster", true)));
        assertThat(names.all()).contains(ORDERS, USERS, "orders-db.default", "users-db.default.svc")
                .as("only mesh clusters give names").doesNotContain("PassthroughCluster", "passthroughcluster");
        DnsProxy p = start(names, true);

        assertThat(address(ask(p.localAddress(), query(1, ORDERS, A)))).isEqualTo("10.96.1.11");
        assertThat(address(ask(p.localAddress(), query(2, USERS, A)))).isEqualTo("10.96.2.12");
        assertThat(address(ask(p.localAddress(), query(3, "users-db.default", A)))).as("short form").isEqualTo("10.96.2.12");
    }

    @Test
    void namesFromListenersAndFromRoutesAreKeptTogetherAndReplacedEachByItsOwnSource() throws Exception {
        MeshHostnames names = DnsVipTest.routes();
        names.updateListeners(List.of(tcp("10.96.1.11_5432", "10.96.1.11", 5432, "outbound|5432||" + ORDERS, false)));
        assertThat(names.all()).contains("reviews.default.svc.cluster.local", ORDERS);
        assertThat(names.vips("reviews")).contains(InetAddress.getByName("10.96.1.10"));

        names.update(List.of()); // an RDS update without reviews keeps the TCP names
        assertThat(names.all()).contains(ORDERS).doesNotContain("reviews.default.svc.cluster.local");
        assertThat(names.vips(ORDERS)).containsExactly(InetAddress.getByName("10.96.1.11"));

        names.updateListeners(List.of()); // and an LDS update without the listener removes them
        assertThat(names.all()).doesNotContain(ORDERS);
        assertThat(names.vips(ORDERS)).isEmpty();
    }

    @Test
    void aWeightedTcpProxyNamesEachClustersHostAndAServiceKeepsTheVipOfItsOwnListener() throws Exception {
        String canary = "orders-db-canary.default.svc.cluster.local";
        MeshHostnames names = new MeshHostnames();
        names.updateListeners(List.of(
                // a canary between two subsets of one service
                weighted("10.96.1.11_5432", "10.96.1.11", 5432, "outbound|5432|v2|" + ORDERS, "outbound|5432|v1|" + ORDERS),
                // a split between two services, the second of which has its own listener too
                weighted("10.96.2.12_5432", "10.96.2.12", 5432, "outbound|5432||" + USERS, "outbound|5432||" + canary),
                tcp("10.96.3.13_5432", "10.96.3.13", 5432, "outbound|5432||" + canary, false)));
        assertThat(names.all()).contains(ORDERS, "orders-db.default", USERS, canary);
        assertThat(names.vips(ORDERS)).containsExactly(InetAddress.getByName("10.96.1.11"));
        assertThat(names.vips(USERS)).containsExactly(InetAddress.getByName("10.96.2.12"));
        assertThat(names.vips(canary)).as("its own listener's VIP, not that of the split it is the minor share of")
                .containsExactly(InetAddress.getByName("10.96.3.13"));
        DnsProxy p = start(names, true);

        assertThat(address(ask(p.localAddress(), query(6, ORDERS, A)))).isEqualTo("10.96.1.11");
        assertThat(address(ask(p.localAddress(), query(7, canary, A)))).isEqualTo("10.96.3.13");

        names.updateListeners(List.of(
                weighted("10.96.2.12_5432", "10.96.2.12", 5432, "outbound|5432||" + USERS, "outbound|5432||" + canary)));
        assertThat(names.vips(canary)).as("without a listener of its own, the split's").containsExactly(InetAddress.getByName("10.96.2.12"));
    }

    @Test
    void inCaptureModeNoneOnlyTheServiceThePortLeadsToIsAnswered() throws Exception {
        MeshHostnames names = new MeshHostnames();
        // the controller's one listener for port 5432 in capture mode NONE leads to the first service
        names.updateListeners(List.of(tcp("outbound_127.0.0.2_5432", "127.0.0.2", 5432, "outbound|5432||" + ORDERS, true)));
        assertThat(names.vips(ORDERS)).as("the outbound listeners' loopback address is no VIP").isEmpty();
        DnsProxy p = start(names, false);

        assertThat(address(ask(p.localAddress(), query(4, ORDERS, A)))).isEqualTo("127.0.0.2");
        assertThat(ask(p.localAddress(), query(5, USERS, A)).rcode())
                .as("shadowed on the shared port: not answered with an address that reaches orders-db").isEqualTo(3);
    }
}
