package io.isthmus.sidecar.dns;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
import static io.isthmus.sidecar.dns.DnsProxyTest.AAAA;
import static io.isthmus.sidecar.dns.DnsProxyTest.ask;
import static io.isthmus.sidecar.dns.DnsProxyTest.query;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
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
 * The DNS proxy in transparent capture: mesh names answered with the VIPs the controller put in their
 * virtual hosts' domains (A with IPv4, AAAA with IPv6), names without VIPs and unknown names
 * forwarded (no {@code block_all} answer); in capture mode NONE the same routes still give 127.0.0.2.
 * Real UDP sockets on loopback.
 */
class DnsVipTest {
    private static final String REVIEWS = "reviews.default.svc.cluster.local";

    final Vertx vertx = Vertx.vertx();
    final List<DnsProxy> proxies = new ArrayList<>();

    @AfterEach
    void tearDown() {
        proxies.forEach(DnsProxy::close);
        vertx.close();
    }

    DnsProxy start(MeshHostnames names, Optional<InetSocketAddress> upstream, boolean capture) throws Exception {
        DnsProxy p = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), names, upstream, Optional.empty(), capture)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        proxies.add(p);
        return p;
    }

    /** The controller's route configuration "9080" for a captured proxy of east, REGISTRY_ONLY. */
    static MeshHostnames routes() {
        MeshHostnames names = new MeshHostnames();
        names.update(List.of(RouteConfiguration.newBuilder().setName("9080")
                .addVirtualHosts(VirtualHost.newBuilder().setName(REVIEWS + ":9080").addAllDomains(List.of(REVIEWS, REVIEWS + ":9080",
                        "reviews.default.svc", "reviews.default.svc:9080", "reviews.default", "reviews.default:9080", "reviews",
                        "reviews:9080", "10.96.1.10", "10.96.1.10:9080", "[fd00:96::10]", "[fd00:96::10]:9080")))
                .addVirtualHosts(VirtualHost.newBuilder().setName("ratings.default.svc.cluster.local:9080")
                        .addAllDomains(List.of("ratings.default.svc.cluster.local", "ratings.default.svc.cluster.local:9080")))
                .addVirtualHosts(VirtualHost.newBuilder().setName(MeshHostnames.BLOCK_ALL).addDomains("*"))
                .build()));
        return names;
    }

    private static String address(DnsProxyTest.Answer a) throws Exception {
        return InetAddress.getByAddress(a.firstAddress()).getHostAddress();
    }

    @Test
    void aMeshNameIsAnsweredWithItsVipsByFamily() throws Exception {
        DnsProxy p = start(routes(), Optional.empty(), true);
        DnsProxyTest.Answer a = ask(p.localAddress(), query(1, REVIEWS, A));
        assertThat(a.rcode()).isZero();
        assertThat(a.answers()).isEqualTo(1);
        assertThat(address(a)).isEqualTo("10.96.1.10");
        assertThat(address(ask(p.localAddress(), query(2, "reviews", A)))).as("short form").isEqualTo("10.96.1.10");
        assertThat(address(ask(p.localAddress(), query(3, "Reviews.Default.svc.", A)))).isEqualTo("10.96.1.10");
        DnsProxyTest.Answer aaaa = ask(p.localAddress(), query(4, REVIEWS, AAAA));
        assertThat(aaaa.answers()).isEqualTo(1);
        assertThat(InetAddress.getByAddress(aaaa.firstAddress())).isEqualTo(InetAddress.getByName("fd00:96::10"));
    }

    @Test
    void aNameWithoutVipAndUnknownNamesAreForwardedNotAnsweredWithTheOutboundAddress() throws Exception {
        MeshHostnames upstreamNames = new MeshHostnames();
        upstreamNames.set(List.of("ratings.default.svc.cluster.local"));
        DnsProxy upstream = start(upstreamNames, Optional.empty(), false);
        DnsProxy p = start(routes(), Optional.of(upstream.localAddress()), true);
        DnsProxyTest.Answer ratings = ask(p.localAddress(), query(5, "ratings.default.svc.cluster.local", A));
        assertThat(ratings.answers()).as("forwarded: the upstream answers it").isEqualTo(1);
        DnsProxyTest.Answer unknown = ask(p.localAddress(), query(6, "www.example.org", A));
        assertThat(unknown.rcode()).as("block_all does not answer unknown names in capture").isEqualTo(3);

        DnsProxy alone = start(routes(), Optional.empty(), true);
        assertThat(ask(alone.localAddress(), query(7, "ratings.default.svc.cluster.local", A)).rcode()).isEqualTo(3);
    }

    @Test
    void captureModeNoneStillAnswersTheOutboundAddress() throws Exception {
        DnsProxy p = start(routes(), Optional.empty(), false);
        assertThat(address(ask(p.localAddress(), query(8, REVIEWS, A)))).isEqualTo("127.0.0.2");
        assertThat(address(ask(p.localAddress(), query(9, "www.example.org", A)))).as("block_all").isEqualTo("127.0.0.2");
    }

    @Test
    void ipLiteralDomainsAreVipsNeverNames() throws Exception {
        MeshHostnames names = routes();
        assertThat(names.all()).doesNotContain("10.96.1.10", "[fd00:96::10]").contains(REVIEWS, "reviews");
        assertThat(names.vips("reviews.default")).containsExactly(InetAddress.getByName("10.96.1.10"),
                InetAddress.getByName("fd00:96::10"));
        assertThat(names.vips("ratings.default.svc.cluster.local")).isEmpty();
        assertThat(MeshHostnames.ipLiteral("10.96.0.12:9080")).isEqualTo(InetAddress.getByName("10.96.0.12"));
        assertThat(MeshHostnames.ipLiteral("[fd00::12]:9080")).isEqualTo(InetAddress.getByName("fd00::12"));
        assertThat(MeshHostnames.ipLiteral("10.96.0.256")).isNull();
        assertThat(MeshHostnames.ipLiteral("10.96.0")).isNull();
        assertThat(MeshHostnames.ipLiteral("reviews:9080")).isNull();
        assertThat(MeshHostnames.ipLiteral("[reviews]")).isNull();
        assertThat(MeshHostnames.ipLiteral("*")).isNull();
    }

    @Test
    void aServiceEntryHostIsAnsweredWithItsAddresses() throws Exception {
        // a ServiceEntry's addresses are IP-literal domains of its host's virtual host, in every cluster
        MeshHostnames names = new MeshHostnames();
        names.update(List.of(RouteConfiguration.newBuilder().setName("8080")
                .addVirtualHosts(VirtualHost.newBuilder().setName("api.internal.example:8080").addAllDomains(List.of(
                        "api.internal.example", "api.internal.example:8080", "240.0.0.10", "240.0.0.10:8080",
                        "240.0.0.11", "240.0.0.11:8080")))
                .build()));
        assertThat(names.vips("api.internal.example")).containsExactly(InetAddress.getByName("240.0.0.10"),
                InetAddress.getByName("240.0.0.11"));
        DnsProxy p = start(names, Optional.empty(), true);
        DnsProxyTest.Answer a = ask(p.localAddress(), query(10, "api.internal.example", A));
        assertThat(a.rcode()).isZero();
        assertThat(a.answers()).isEqualTo(2);
        assertThat(address(a)).isEqualTo("240.0.0.10");
    }

    @Test
    void theInterceptionModeDecides() {
        assertThat(DnsProxy.capturesTransparently("TPROXY")).isTrue();
        assertThat(DnsProxy.capturesTransparently("redirect")).isTrue();
        assertThat(DnsProxy.capturesTransparently("NONE")).isFalse();
        assertThat(DnsProxy.capturesTransparently(null)).isFalse();
        assertThat(DnsProxy.capturesTransparently("")).isFalse();
    }
}
