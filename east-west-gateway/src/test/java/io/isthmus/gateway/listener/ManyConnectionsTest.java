package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.management.UnixOperatingSystemMXBean;
import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.sni.ClientHellos;
import io.isthmus.mesh.OutboundName;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Thousands of connections relayed at the same time (5,000 when the process may open enough file
 * descriptors), each echoed end to end, with the gateway's buffer memory bounded and every
 * connection accounted for when they close.
 */
class ManyConnectionsTest {

    private static final OutboundName ECHO = OutboundName.of("echo.default.svc.cluster.local", 7);
    private static final int PAYLOAD = 2048;
    @ParameterizedTest
    @EnumSource(value = RelayMode.class, names = {"COPY", "SPLICE"})
    void thousandsOfConcurrentRelayedConnections(RelayMode mode) throws Exception {
        // Descriptors per relayed connection in this one process: client, gateway downstream and
        // upstream, endpoint; splicing adds a pipe (two descriptors) per direction.
        int fdsPerConnection = mode == RelayMode.SPLICE ? 8 : 4;
        raiseFileLimit(65_536);
        long limit = ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getMaxFileDescriptorCount();
        int n = (int) Math.min(Integer.getInteger("gateway.connections", 5000), (limit - 2000) / fdsPerConnection);
        System.out.printf("%s: file limit %d, %d connections%n", mode, limit, n);
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension(ECHO.sni())));
        byte[] payload = new byte[PAYLOAD];
        int expected = hello.length + PAYLOAD;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().ioThreads(2).relayMode(mode)
                .connectionsPerSecondPerSource(1_000_000).burstPerSource(1_000_000))) {
            Channel echo = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 8192)
                    .childHandler(new Echo()).bind("127.0.0.3", 0).sync().channel();
            gw.table.put(ECHO.clusterName(), List.of(GatewayEndpoint.of((InetSocketAddress) echo.localAddress())));
            AtomicInteger complete = new AtomicInteger();
            Bootstrap client = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                private int received;

                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(hello, payload));
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    received += ((ByteBuf) msg).readableBytes();
                                    ((ByteBuf) msg).release();
                                    if (received == expected) {
                                        complete.incrementAndGet();
                                    }
                                }
                            });
                        }
                    });
            List<Channel> clients = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                clients.add(client.connect(gw.address()).sync().channel());
            }
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> complete.get() == n);
            } finally {
                System.out.printf("complete %d/%d active %d opened %s refused %s%n", complete.get(), n, gw.metrics.activeConnections(),
                        gw.metrics.service(ECHO.host()).opened().count(),
                        java.util.Arrays.stream(io.isthmus.gateway.RefusalReason.values()).filter(r -> gw.refused(r) > 0).map(r -> r + "=" + gw.refused(r)).toList());
            }
            assertThat(gw.metrics.activeConnections()).isEqualTo(n);
            assertThat(gw.metrics.service(ECHO.host()).opened().count()).isEqualTo(n);
            long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            System.out.printf("%d relayed connections open: pooled direct %d KiB, heap %d MiB%n", n, direct / 1024, heap >> 20);
            // every connection is idle with nothing queued: buffers are returned, not held per connection
            assertThat(direct).isLessThan(256L << 20);
            for (Channel c : clients) {
                c.close();
            }
            await().atMost(Duration.ofMinutes(1)).until(() -> gw.metrics.activeConnections() == 0);
            assertThat(gw.metrics.service(ECHO.host()).closed().count()).isEqualTo(n);
            echo.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    /** Raises this process's open-file limit when allowed (root); harmless otherwise. */
    private static void raiseFileLimit(int files) {
        try {
            Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(ProcessHandle.current().pid()),
                    "--nofile=" + files + ":" + files).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // keep the current limit
        }
    }
}
