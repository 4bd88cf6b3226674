package io.isthmus.controller.support;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.xds.AdsService;
import io.isthmus.controller.xds.XdsServer;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An ADS service on a plaintext xDS server of its own Vert.x, on loopback, with one gRPC channel to it (one HTTP/2
 * connection, so every stream opened on it is served by one event loop). Closing it closes all three.
 */
public final class AdsTestServer implements AutoCloseable {
    private final Vertx vertx;
    private final XdsServer server;
    private final ManagedChannel channel;

    public AdsTestServer(AdsService ads) {
        this.vertx = Vertx.vertx();
        this.server = XdsServer.startPlaintext(vertx, "127.0.0.1", 0, List.of(ads.bindService()));
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.plaintextPort()).usePlaintext().build();
    }

    /** The channel to the server. */
    public ManagedChannel channel() {
        return channel;
    }

    @Override
    public void close() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
