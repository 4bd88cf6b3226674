package io.isthmus.sidecar.xds;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.netty.NettyServerBuilder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** java-control-plane's {@link V3DiscoveryServer} + {@link SimpleCache} on loopback, recording every request. */
final class FakeControlPlane implements AutoCloseable {
    static final String GROUP = "all";

    final SimpleCache<String> cache = new SimpleCache<>(node -> GROUP);
    final List<DiscoveryRequest> requests = new CopyOnWriteArrayList<>();
    private final V3DiscoveryServer server;
    private final ServerCredentials credentials;
    private Server grpc;
    private int port;

    FakeControlPlane() {
        this(InsecureServerCredentials.create());
    }

    FakeControlPlane(ServerCredentials credentials) {
        this.credentials = credentials;
        this.server = new V3DiscoveryServer(new DiscoveryServerCallbacks() {
            @Override
            public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
                requests.add(request);
            }

            @Override
            public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
            }
        }, cache);
    }

    FakeControlPlane start(int wantedPort) throws IOException {
        grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort), credentials)
                .addService(server.getAggregatedDiscoveryServiceImpl())
                .build().start();
        port = grpc.getPort();
        return this;
    }

    int port() {
        return port;
    }

    void set(Snapshot snapshot) {
        cache.setSnapshot(GROUP, snapshot);
    }

    void stop() throws InterruptedException {
        grpc.shutdownNow();
        grpc.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (grpc != null && !grpc.isTerminated()) {
            stop();
        }
    }
}
