package io.isthmus.gateway.listener;

import io.isthmus.gateway.sni.ClientHellos;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The far side of {@code FiveThousandConnectionsTest}, in its own process so that the gateway's
 * process holds only its own two sockets per connection: an echo endpoint and N clients that each
 * send a ClientHello with a mesh SNI plus a payload and wait for all of it to come back.
 *
 * <p>Protocol on stdin/stdout: prints {@code echo <port>}; reads {@code go <gateway port> <n>};
 * prints {@code complete <n>}; reads {@code close}; prints {@code closed} and exits.
 */
public final class LoadPeer {

    private LoadPeer() {
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg);
        }
    }

    public static void main(String[] args) throws Exception {
        String sni = args[0];
        int payload = Integer.parseInt(args[1]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        Channel echo = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 8192).childHandler(new Echo()).bind("127.0.0.3", 0).sync().channel();
        System.out.println("echo " + ((java.net.InetSocketAddress) echo.localAddress()).getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String[] go = in.readLine().split(" ");
        int port = Integer.parseInt(go[1]);
        int n = Integer.parseInt(go[2]);
        byte[] hello = ClientHellos.synthetic(ClientHellos.list(ClientHellos.sniExtension(sni)));
        byte[] body = new byte[payload];
        int expected = hello.length + payload;
        AtomicInteger complete = new AtomicInteger();
        Bootstrap client = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    private int received;

                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(Unpooled.wrappedBuffer(hello, body));
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
            clients.add(client.connect("127.0.0.1", port).sync().channel());
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (complete.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        System.out.println("complete " + complete.get());
        System.out.flush();
        in.readLine();
        for (Channel c : clients) {
            c.close();
        }
        for (Channel c : clients) {
            c.closeFuture().sync();
        }
        System.out.println("closed");
        System.out.flush();
        echo.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
