package io.isthmus.sidecar.dns;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
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
 * The DNS proxy under REGISTRY_ONLY: while a route configuration holds the {@code block_all}
 * virtual host, names outside the registry are answered with 127.0.0.2 instead of being forwarded;
 * without it they are forwarded as before.
 */
class DnsBlockAllTest {

    final Vertx vertx = Vertx.vertx();
    final List<DnsProxy> proxies = new ArrayList<>();

    @AfterEach
    void tearDown() {
        proxies.forEach(DnsProxy::close);
        vertx.close();
    }

    DnsProxy start(MeshHostnames names, Optional<InetSocketAddress> upstream) throws Exception {
        DnsProxy p = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), names, upstream)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        proxies.add(p);
        return p;
    }

    static RouteConfiguration routes(boolean registryOnly) {
        RouteConfiguration.Builder rc = RouteConfiguration.newBuilder().setName("80").addVirtualHosts(VirtualHost.newBuilder()
                .setName("reviews.default.svc.cluster.local:80").addDomains("reviews.default.svc.cluster.local"));
        if (registryOnly) {
            rc.addVirtualHosts(VirtualHost.newBuilder().setName(MeshHostnames.BLOCK_ALL).addDomains("*"));
        }
        return rc.build();
    }

    @Test
    void unknownNamesAnswerTheOutboundAddressOnlyWhileBlockAllIsHeld() throws Exception {
        MeshHostnames upstreamNames = new MeshHostnames();
        upstreamNames.set(List.of("known-upstream.example.org"));
        DnsProxy upstream = start(upstreamNames, Optional.empty());
        MeshHostnames names = new MeshHostnames();
        names.update(List.of(routes(false)));
        DnsProxy p = start(names, Optional.of(upstream.localAddress()));

        assertThat(ask(p.localAddress(), query(1, "unknown.example.org", A)).rcode()).as("forwarded: NXDOMAIN upstream")
                .isEqualTo(3);

        names.update(List.of(routes(true)));
        assertThat(names.blockAll()).isTrue();
        DnsProxyTest.Answer blocked = ask(p.localAddress(), query(2, "unknown.example.org", A));
        assertThat(blocked.rcode()).isZero();
        assertThat(blocked.answers()).isEqualTo(1);
        assertThat(InetAddress.getByAddress(blocked.firstAddress()).getHostAddress()).isEqualTo("127.0.0.2");
        assertThat(ask(p.localAddress(), query(3, "reviews.default.svc.cluster.local", A)).answers()).isEqualTo(1);

        names.update(List.of(routes(false)));
        assertThat(names.blockAll()).isFalse();
        assertThat(ask(p.localAddress(), query(4, "unknown.example.org", A)).rcode()).isEqualTo(3);
    }
}
