package io.isthmus.gateway.bench;

import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.lb.OutlierTracker;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.listener.PassthroughServer;
import io.isthmus.gateway.listener.RelayMode;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.route.PassthroughTable;
import io.isthmus.gateway.route.SniRouter;
import io.isthmus.gateway.telemetry.GatewayMetrics;
import io.isthmus.mesh.OutboundName;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The passthrough listener alone with a fixed table, for benchmarks:
 * {@code PassthroughBenchServer <sni> <endpoint-host> <endpoint-port> <relay-mode>}; prints the bound port.
 */
public final class PassthroughBenchServer {

    private PassthroughBenchServer() {
    }

    public static void main(String[] args) throws Exception {
        OutboundName name = OutboundName.parseSni(args[0]).orElseThrow();
        InetSocketAddress endpoint = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        PassthroughServer server = PassthroughServer.start(
                PassthroughOptions.builder().bindAddress("127.0.0.1").port(0).relayMode(RelayMode.valueOf(args[3]))
                        .maxConnections(4096).connectionsPerSecondPerSource(1_000_000).burstPerSource(1_000_000).build(),
                new SniRouter(PassthroughTable.of(Map.of(name.clusterName(), List.of(GatewayEndpoint.of(endpoint)))), Map.of()),
                new EndpointSelector(new OutlierTracker(Duration.ofSeconds(30), Duration.ofMinutes(5), System::nanoTime)),
                new GatewayMetrics(new SimpleMeterRegistry(), "bench"));
        System.out.println("port " + server.localAddress().getPort());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
