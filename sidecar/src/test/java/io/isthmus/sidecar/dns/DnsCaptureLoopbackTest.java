package io.isthmus.sidecar.dns;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.isthmus.sidecar.dns.DnsProxyTest.A;
import static io.isthmus.sidecar.dns.DnsProxyTest.fromRoutes;
import static io.isthmus.sidecar.dns.DnsProxyTest.query;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A DNS proxy on {@code 127.0.0.1} in transparent capture also answers on {@code [::1]} at the same
 * port, where {@code ip6tables} DNS capture ({@code isthmus iptables --ipv6 --redirect-dns}) sends IPv6
 * queries (a real DNS client on IPv6 loopback).
 */
class DnsCaptureLoopbackTest {
    static final InetAddress LOOPBACK6 = loopback6();
    final Vertx vertx = Vertx.vertx();
    DnsProxy proxy;

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        vertx.close();
    }

    @Test
    void aCaptureModeProxyOnIpv4LoopbackAnswersOnIpv6LoopbackToo() throws Exception {
        assumeTrue(ipv6Loopback(), "needs IPv6 loopback");
        proxy = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0), fromRoutes("reviews.default.svc.cluster.local"),
                Optional.empty(), Optional.empty(), true, true).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        InetSocketAddress v6 = new InetSocketAddress(LOOPBACK6, proxy.localAddress().getPort());
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK6, 0))) {
            s.setSoTimeout(30_000);
            byte[] q = query(0x6006, "www.example.org", A);
            s.send(new DatagramPacket(q, q.length, v6));
            byte[] buf = new byte[1500];
            DatagramPacket r = new DatagramPacket(buf, buf.length);
            s.receive(r);
            assertThat(((buf[0] & 0xff) << 8) | (buf[1] & 0xff)).isEqualTo(0x6006);
            assertThat(buf[3] & 0xf).as("no upstream (--dns-upstream none): NXDOMAIN, from [::1]").isEqualTo(3);
            assertThat(r.getSocketAddress()).isEqualTo(v6);
            assertThat(((InetSocketAddress) r.getSocketAddress()).getAddress()).isInstanceOf(Inet6Address.class);
        }
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByName("::1");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean ipv6Loopback() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK6, 0))) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
