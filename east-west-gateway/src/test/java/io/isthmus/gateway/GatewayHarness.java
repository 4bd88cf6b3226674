package io.isthmus.gateway;

import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.lb.OutlierTracker;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.listener.PassthroughServer;
import io.isthmus.gateway.relay.Transport;
import io.isthmus.gateway.route.MutablePassthroughTable;
import io.isthmus.gateway.route.SniRouter;
import io.isthmus.gateway.telemetry.GatewayMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A passthrough listener on loopback with a table the test fills. */
public final class GatewayHarness implements AutoCloseable {

    public final MutablePassthroughTable table = new MutablePassthroughTable();
    public final GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), "west");
    public final OutlierTracker outliers = new OutlierTracker(Duration.ofSeconds(30), Duration.ofMinutes(5), System::nanoTime);
    public final PassthroughServer server;

    public GatewayHarness(PassthroughOptions.Builder options) throws Exception {
        this(options, Map.of());
    }

    public GatewayHarness(PassthroughOptions.Builder options, Map<String, InetSocketAddress> fixedRoutes) throws Exception {
        this(options, fixedRoutes, CompletableFuture.completedFuture(null));
    }

    public GatewayHarness(PassthroughOptions.Builder options, Map<String, InetSocketAddress> fixedRoutes,
            CompletableFuture<Void> routesReady) throws Exception {
        server = PassthroughServer.start(options.bindAddress("127.0.0.1").port(0).build(), new SniRouter(table, fixedRoutes),
                new EndpointSelector(outliers), metrics, Transport.detect(), routesReady);
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    public long refused(RefusalReason reason) {
        return metrics.refusedCount(reason);
    }

    @Override
    public void close() {
        server.close();
    }
}
