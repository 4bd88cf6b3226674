package io.isthmus.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TLS server standing in for a pod's sidecar inbound listener (OpenSSL, as the sidecar: the JDK's
 * TLS server refuses the '_' of mesh server names): requires a client certificate and answers each
 * line with {@code <its name> <client SPIFFE ID> <line>}.
 */
public final class SpiffeEchoServer implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger accepted = new AtomicInteger();

    public SpiffeEchoServer(TestPki.Workload material, String bindAddress, String name) throws Exception {
        SslContext ssl = SslContextBuilder.forServer(material.keys()).trustManager(material.trust())
                .sslProvider(SslProvider.OPENSSL).clientAuth(ClientAuth.REQUIRE).build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.incrementAndGet();
                        SslHandler tls = ssl.newHandler(ch.alloc());
                        ch.pipeline().addLast(tls, new LineBasedFrameDecoder(1 << 20), new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) throws Exception {
                                X509Certificate peer = (X509Certificate) tls.engine().getSession().getPeerCertificates()[0];
                                String id = peer.getSubjectAlternativeNames().stream().filter(san -> (Integer) san.get(0) == 6)
                                        .map(san -> (String) san.get(1)).findFirst().orElse("none");
                                String reply = name + " " + id + " " + line.toString(StandardCharsets.UTF_8) + "\n";
                                ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(reply.getBytes(StandardCharsets.UTF_8)));
                            }
                        });
                    }
                }).bind(bindAddress, 0).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public int accepted() {
        return accepted.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
