package io.isthmus.sidecar.dns;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.endpoint.DnsServerResolver;
import io.isthmus.sidecar.endpoint.HostsFile;
import io.isthmus.sidecar.xds.ControlPlaneChannel;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
import static io.isthmus.sidecar.dns.DnsProxyTest.ask;
import static io.isthmus.sidecar.dns.DnsProxyTest.fromRoutes;
import static io.isthmus.sidecar.dns.DnsProxyTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The proxy's own resolver ({@link DnsServerResolver}) when it runs a DNS proxy: the hosts file, then
 * the DNS proxy's upstream with the pod's search list, never the DNS proxy; and the controller's
 * channel resolving its name with it. Real DNS over UDP on loopback.
 */
class DnsOwnLookupsTest {
    static final List<String> KUBE_SEARCH = List.of("default.svc.cluster.local", "svc.cluster.local", "cluster.local");
    static final String REVIEWS = "reviews.default.svc.cluster.local";

    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        vertx.close();
    }

    TinyDnsServer upstream() throws Exception {
        TinyDnsServer s = new TinyDnsServer();
        closeables.add(s);
        return s;
    }

    DnsServerResolver resolver(Optional<InetSocketAddress> server, List<String> search, int ndots) throws Exception {
        Path hosts = dir.resolve("hosts");
        if (!Files.exists(hosts)) {
            Files.writeString(hosts, "127.0.0.1 localhost\n");
        }
        DnsServerResolver r = new DnsServerResolver(server, search, ndots, new HostsFile(hosts));
        closeables.add(r);
        return r;
    }

    static List<String> ips(List<InetAddress> addresses) {
        return addresses.stream().map(InetAddress::getHostAddress).toList();
    }

    @Test
    void aMeshHostnameResolvesToWhatTheUpstreamSaysNotToTheDnsProxysAnswer() throws Exception {
        TinyDnsServer cluster = upstream().answer(REVIEWS, "127.0.0.60")
                .answer("isthmus-controller.isthmus-system.svc.cluster.local", "127.0.0.61");
        DnsProxy proxy = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), fromRoutes(REVIEWS),
                Optional.of(cluster.address())).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        closeables.add(proxy);
        assertThat(ask(proxy.localAddress(), query(1, REVIEWS, A)).firstAddress()).as("the DNS proxy's answer, for the app")
                .isEqualTo(new byte[] {127, 0, 0, 2});

        DnsServerResolver own = resolver(Optional.of(cluster.address()), KUBE_SEARCH, 5);
        assertThat(ips(own.resolve(REVIEWS))).containsExactly("127.0.0.60");
        assertThat(ips(own.resolve("reviews"))).as("short name through the search list").containsExactly("127.0.0.60");
        assertThat(ips(own.resolve("isthmus-controller.isthmus-system.svc"))).as("the demo's XDS_ADDRESS")
                .containsExactly("127.0.0.61");
        assertThat(cluster.askedNames()).contains(REVIEWS, "isthmus-controller.isthmus-system.svc.cluster.local");

        DnsServerResolver kindDemo = resolver(Optional.of(cluster.address()), KUBE_SEARCH, 1);
        assertThat(ips(kindDemo.resolve("isthmus-controller.isthmus-system.svc")))
                .as("ndots 1 (dnsPolicy None without options): as is first, then the search list").containsExactly("127.0.0.61");
    }

    @Test
    void theHostsFileComesFirstAndLiteralsAreNotLookedUp() throws Exception {
        TinyDnsServer cluster = upstream().answer("ext.example", "127.0.0.71");
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n127.0.0.70 ext.example ext # an alias\n");
        DnsServerResolver own = resolver(Optional.of(cluster.address()), List.of(), 1);
        assertThat(ips(own.resolve("EXT.example."))).containsExactly("127.0.0.70");
        assertThat(ips(own.resolve("127.0.0.9"))).containsExactly("127.0.0.9");
        assertThat(ips(own.resolve("localhost"))).containsExactly("127.0.0.1");
        assertThat(cluster.questions).isEmpty();

        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n127.0.0.72 ext.example\n# rewritten\n");
        assertThat(ips(own.resolve("ext.example"))).as("the file is read again when it changes").containsExactly("127.0.0.72");
    }

    @Test
    void failuresNameTheHostAndTheServer() throws Exception {
        TinyDnsServer cluster = upstream();
        DnsServerResolver own = resolver(Optional.of(cluster.address()), List.of(), 1);
        String server = cluster.address().toString();
        assertThatThrownBy(() -> own.resolve("absent.example")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("absent.example").hasMessageContaining("DNS server " + server);

        cluster.silent = true;
        assertThatThrownBy(() -> own.resolve("slow.example")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("slow.example").hasMessageContaining(server);

        DnsServerResolver none = resolver(Optional.empty(), List.of(), 1);
        assertThatThrownBy(() -> none.resolve("db.example")).isInstanceOf(UnknownHostException.class)
                .hasMessageContaining("db.example").hasMessageContaining("no DNS server to ask").hasMessageContaining("--dns-upstream none");
        assertThat(ips(none.resolve("localhost"))).containsExactly("127.0.0.1");
    }

    @Test
    void answersAreCachedForTheirTtl() throws Exception {
        TinyDnsServer cluster = upstream().answer("cached.example", "127.0.0.80").answer("fresh.example", "127.0.0.90");
        DnsServerResolver own = resolver(Optional.of(cluster.address()), List.of(), 1);
        assertThat(ips(own.resolve("cached.example"))).containsExactly("127.0.0.80");
        cluster.answer("cached.example", "127.0.0.81");
        assertThat(ips(own.resolve("cached.example"))).as("TTL 30 s: the cached answer").containsExactly("127.0.0.80");

        cluster.ttlSeconds = 0;
        assertThat(ips(own.resolve("fresh.example"))).containsExactly("127.0.0.90");
        cluster.answer("fresh.example", "127.0.0.91");
        assertThat(ips(own.resolve("fresh.example"))).as("TTL 0: asked again").containsExactly("127.0.0.91");
    }

    @Test
    void theControllersChannelResolvesItsNameWithTheProxysResolver() throws Exception {
        TinyDnsServer cluster = upstream().answer("isthmus-controller.isthmus-system.svc", "127.0.0.1");
        DnsServerResolver own = resolver(Optional.of(cluster.address()), List.of(), 1);
        try (ServerSocket controller = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            controller.setSoTimeout(30_000);
            ManagedChannel ch = ControlPlaneChannel.open(new HostPort("isthmus-controller.isthmus-system.svc",
                    controller.getLocalPort()), Optional.empty(), "isthmus-controller.isthmus-system.svc", Optional.of(own));
            try {
                assertThat(ch.getState(true)).isNotEqualTo(ConnectivityState.SHUTDOWN);
                try (Socket accepted = controller.accept()) {
                    assertThat(accepted.getInetAddress().getHostAddress()).isEqualTo("127.0.0.1");
                }
                assertThat(cluster.askedNames()).contains("isthmus-controller.isthmus-system.svc");
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }

        TinyDnsServer empty = upstream();
        DnsServerResolver failing = resolver(Optional.of(empty.address()), List.of(), 1);
        ManagedChannel ch = ControlPlaneChannel.open(new HostPort("isthmus-controller.isthmus-system.svc", 15012),
                Optional.empty(), "isthmus-controller.isthmus-system.svc", Optional.of(failing));
        try {
            ch.getState(true);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> ch.getState(false) == ConnectivityState.TRANSIENT_FAILURE);
            assertThat(empty.askedNames()).contains("isthmus-controller.isthmus-system.svc");
        } finally {
            ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
