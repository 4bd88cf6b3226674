package io.isthmus.sidecar.dns;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The DNS proxy's upstream: the first {@code nameserver} of resolv.conf that is not the proxy itself,
 * or {@code --dns-upstream}, where names outside the mesh are forwarded (a real DNS server on loopback).
 */
class DnsUpstreamTest {
    final Vertx vertx = Vertx.vertx();
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        vertx.close();
    }

    @Test
    void theUpstreamIsTheFirstNameserverThatIsNotTheProxysOwnAddress(@TempDir Path dir) throws Exception {
        Path resolv = Files.writeString(dir.resolve("resolv.conf"), """
                # written by the kubelet
                nameserver 127.0.0.1
                nameserver 10.96.0.10
                nameserver 10.96.0.11
                search default.svc.cluster.local svc.cluster.local cluster.local
                options ndots:5 timeout:1
                """);
        ResolvConf conf = ResolvConf.read(resolv);
        assertThat(conf.nameservers()).extracting(InetAddress::getHostAddress).containsExactly("127.0.0.1", "10.96.0.10", "10.96.0.11");
        assertThat(conf.search()).containsExactly("default.svc.cluster.local", "svc.cluster.local", "cluster.local");
        assertThat(conf.ndots()).isEqualTo(5);

        InetSocketAddress kubeDns = new InetSocketAddress("10.96.0.10", 53);
        assertThat(conf.upstreamFor(new InetSocketAddress("127.0.0.1", 53))).as("the proxy on 127.0.0.1:53 is skipped").contains(kubeDns);
        assertThat(conf.upstreamFor(new InetSocketAddress("0.0.0.0", 53))).as("a wildcard proxy is every loopback").contains(kubeDns);
        assertThat(conf.upstreamFor(new InetSocketAddress("127.0.0.1", 15053))).as("another port is another server")
                .contains(new InetSocketAddress("127.0.0.1", 53));

        Path only = Files.writeString(dir.resolve("only"), "nameserver 127.0.0.1\nsearch default.svc.cluster.local\n");
        assertThat(ResolvConf.read(only).upstreamFor(new InetSocketAddress("127.0.0.1", 53))).isEmpty();
        assertThat(ResolvConf.read(dir.resolve("absent")).nameservers()).isEmpty();
        assertThat(ResolvConf.parse(List.of("domain example.org.", "nameserver not-an-ip", "options ndots:99")))
                .isEqualTo(new ResolvConf(List.of(), List.of("example.org"), 15));
    }

    @Test
    void anUpstreamIsAnIpWithAnOptionalPortAndNothingElse() {
        assertThat(ResolvConf.parseServer("10.96.0.10")).isEqualTo(new InetSocketAddress("10.96.0.10", 53));
        assertThat(ResolvConf.parseServer(" 10.96.0.10:5353 ")).isEqualTo(new InetSocketAddress("10.96.0.10", 5353));
        assertThat(ResolvConf.parseServer("[fd00::a]:54")).isEqualTo(new InetSocketAddress("fd00::a", 54));
        assertThat(ResolvConf.parseServer("[fd00::a]")).isEqualTo(new InetSocketAddress("fd00::a", 53));
        assertThat(ResolvConf.parseServer("fd00::a")).isEqualTo(new InetSocketAddress("fd00::a", 53));

        assertThatThrownBy(() -> ResolvConf.parseServer("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ResolvConf.parseServer("kube-dns.kube-system.svc:53"))
                .hasMessageContaining("'kube-dns.kube-system.svc:53'").hasMessageContaining("must be an IP address");
        assertThatThrownBy(() -> ResolvConf.parseServer("10.96.0.10:0")).hasMessageContaining("port '0'");
        assertThatThrownBy(() -> ResolvConf.parseServer("10.96.0.10:65536")).hasMessageContaining("port '65536'");
        assertThatThrownBy(() -> ResolvConf.parseServer("10.96.0.10:dns")).hasMessageContaining("port 'dns'");
        assertThatThrownBy(() -> ResolvConf.parseServer("[fd00::a")).hasMessageContaining("[IPv6]:PORT");
        assertThatThrownBy(() -> ResolvConf.parseServer("10.96.0.300")).hasMessageContaining("must be an IP address");
    }

    @Test
    void namesOutsideTheMeshAreForwardedToTheUpstreamAndMeshNamesAreNot() throws Exception {
        TinyDnsServer upstream = new TinyDnsServer().answer("db.example.internal", "127.0.0.50")
                .answer("reviews.default.svc.cluster.local", "127.0.0.60");
        closeables.add(upstream);
        DnsProxy p = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0),
                        fromRoutes("reviews.default.svc.cluster.local"), Optional.of(upstream.address()))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        closeables.add(p);

        DnsProxyTest.Answer db = ask(p.localAddress(), query(0x5151, "db.example.internal", A));
        assertThat(db.id()).isEqualTo(0x5151);
        assertThat(db.rcode()).isZero();
        assertThat(InetAddress.getByAddress(db.firstAddress()).getHostAddress()).isEqualTo("127.0.0.50");
        assertThat(ask(p.localAddress(), query(2, "absent.example.internal", A)).rcode()).as("the upstream's NXDOMAIN").isEqualTo(3);

        DnsProxyTest.Answer mesh = ask(p.localAddress(), query(3, "reviews.default.svc.cluster.local", A));
        assertThat(InetAddress.getByAddress(mesh.firstAddress()).getHostAddress()).isEqualTo("127.0.0.2");
        assertThat(upstream.askedNames()).containsExactly("db.example.internal", "absent.example.internal");
    }

    @Test
    void withoutUpstreamOtherNamesAreNxdomainAndTheOwnAddressIsRecognised() throws Exception {
        DnsProxy p = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), fromRoutes("reviews.default.svc.cluster.local"),
                Optional.empty()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        closeables.add(p);
        assertThat(ask(p.localAddress(), query(4, "www.example.org", A)).rcode()).as("no upstream: NXDOMAIN").isEqualTo(3);
        assertThat(ResolvConf.isOwnAddress(new InetSocketAddress("127.0.0.1", 53), new InetSocketAddress("127.0.0.1", 53))).isTrue();
        assertThat(ResolvConf.isOwnAddress(new InetSocketAddress("10.96.0.10", 53), new InetSocketAddress("0.0.0.0", 53))).isFalse();
    }
}
