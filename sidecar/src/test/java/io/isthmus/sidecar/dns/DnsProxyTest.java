package io.isthmus.sidecar.dns;

import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The DNS proxy over real UDP sockets on loopback. */
public class DnsProxyTest {
    public static final int A = 1;
    static final int AAAA = 28;

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

    static MeshHostnames fromRoutes(String... domains) {
        MeshHostnames names = new MeshHostnames();
        names.update(List.of(RouteConfiguration.newBuilder().setName("9080").addVirtualHosts(
                VirtualHost.newBuilder().setName("v").addAllDomains(List.of(domains))).build()));
        return names;
    }

    public record Answer(int id, int rcode, int answers, byte[] firstAddress) {
    }

    public static byte[] query(int id, String name, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) (id >> 8), (byte) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.write(0);
        out.writeBytes(new byte[] {0, (byte) type, 0, 1});
        return out.toByteArray();
    }

    public static Answer ask(InetSocketAddress server, byte[] packet) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(30_000);
            s.send(new DatagramPacket(packet, packet.length, server));
            byte[] buf = new byte[1500];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            ByteBuffer b = ByteBuffer.wrap(buf, 0, p.getLength());
            int id = b.getShort() & 0xffff;
            int flags = b.getShort() & 0xffff;
            int qd = b.getShort();
            int an = b.getShort();
            b.getShort();
            b.getShort();
            for (int i = 0; i < qd; i++) {
                skipName(b);
                b.getInt();
            }
            byte[] addr = null;
            if (an > 0) {
                skipName(b);
                b.getShort();
                b.getShort();
                b.getInt();
                int len = b.getShort();
                addr = new byte[len];
                b.get(addr);
            }
            return new Answer(id, flags & 0xf, an, addr);
        }
    }

    static void skipName(ByteBuffer b) {
        while (true) {
            int len = b.get() & 0xff;
            if (len == 0) {
                return;
            }
            if ((len & 0xc0) == 0xc0) {
                b.get();
                return;
            }
            b.position(b.position() + len);
        }
    }

    @Test
    void answersMeshHostnamesWithTheOutboundAddressAndEmptyAaaa() throws Exception {
        DnsProxy p = start(fromRoutes("reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080",
                "reviews"), Optional.empty());

        Answer a = ask(p.localAddress(), query(0x1234, "reviews.default.svc.cluster.local", A));
        assertThat(a.id()).isEqualTo(0x1234);
        assertThat(a.rcode()).isZero();
        assertThat(a.answers()).isEqualTo(1);
        assertThat(InetAddress.getByAddress(a.firstAddress()).getHostAddress()).isEqualTo("127.0.0.2");

        assertThat(ask(p.localAddress(), query(7, "REVIEWS.default", A)).answers()).as("derived form, any case").isEqualTo(1);
        assertThat(ask(p.localAddress(), query(8, "reviews", A)).answers()).isEqualTo(1);

        Answer aaaa = ask(p.localAddress(), query(9, "reviews.default.svc.cluster.local", AAAA));
        assertThat(aaaa.rcode()).isZero();
        assertThat(aaaa.answers()).isZero();
    }

    @Test
    void unknownNamesAreNxdomainWithoutUpstreamAndGarbageIsSurvived() throws Exception {
        DnsProxy p = start(fromRoutes("reviews.default.svc.cluster.local"), Optional.empty());
        try (DatagramSocket s = new DatagramSocket()) {
            byte[] junk = "this is not dns at all".getBytes(StandardCharsets.US_ASCII);
            s.send(new DatagramPacket(junk, junk.length, p.localAddress()));
            s.send(new DatagramPacket(new byte[] {1}, 1, p.localAddress()));
            byte[] response = query(1, "x.example", A);
            response[2] |= (byte) 0x80; // a response, not a query
            s.send(new DatagramPacket(response, response.length, p.localAddress()));
        }
        Answer nx = ask(p.localAddress(), query(3, "www.example.org", A));
        assertThat(nx.rcode()).isEqualTo(3);
        assertThat(nx.answers()).isZero();
        assertThat(ask(p.localAddress(), query(4, "reviews.default.svc.cluster.local", A)).answers()).isEqualTo(1);
    }

    @Test
    void otherNamesGoToTheUpstreamResolver(@TempDir Path dir) throws Exception {
        MeshHostnames upstreamNames = new MeshHostnames();
        upstreamNames.set(List.of("db.example.internal"));
        DnsProxy upstream = start(upstreamNames, Optional.empty());
        DnsProxy p = start(fromRoutes("reviews.default.svc.cluster.local"), Optional.of(upstream.localAddress()));

        Answer forwarded = ask(p.localAddress(), query(0x4242, "db.example.internal", A));
        assertThat(forwarded.id()).isEqualTo(0x4242);
        assertThat(forwarded.rcode()).isZero();
        assertThat(forwarded.answers()).isEqualTo(1);
        assertThat(ask(p.localAddress(), query(5, "nothing.example.internal", A)).rcode()).isEqualTo(3);

        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "search default.svc.cluster.local\nnameserver 127.0.0.53\noptions ndots:5\n");
        assertThat(ResolvConf.read(resolv).upstreamFor(new InetSocketAddress("127.0.0.1", 53)))
                .contains(new InetSocketAddress("127.0.0.53", 53));
        assertThat(ResolvConf.read(dir.resolve("absent")).upstreamFor(new InetSocketAddress("127.0.0.1", 53))).isEmpty();
    }

    @Test
    void hostnamesFollowRouteUpdates() {
        MeshHostnames names = fromRoutes("reviews.default.svc.cluster.local:9080", "*.example.com", "[::1]:80");
        assertThat(names.all()).containsExactlyInAnyOrder("reviews.default.svc.cluster.local", "reviews.default",
                "reviews.default.svc");
        names.update(List.of());
        assertThat(names.contains("reviews.default")).isFalse();
    }
}
