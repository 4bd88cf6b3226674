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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The passthrough listener alone with a fixed table, for benchmarks:
 * {@code PassthroughBenchServer <sni> <endpoint-host> <endpoint-port> <relay-mode>}; prints the bound port.
 * With {@code -Dbench.statsFile=FILE} it writes the number of connections relayed so far to FILE every second; with
 * {@code -Dbench.spliceEndpointBuffer=BYTES} the endpoint-side socket buffer of spliced directions is that (0: the
 * kernel's autotuning) instead of the default.
 */
public final class PassthroughBenchServer {

    private PassthroughBenchServer() {
    }

    public static void main(String[] args) throws Exception {
        OutboundName name = OutboundName.parseSni(args[0]).orElseThrow();
        InetSocketAddress endpoint = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        GatewayMetrics metrics = new GatewayMetrics(new SimpleMeterRegistry(), "bench");
        PassthroughOptions.Builder options = PassthroughOptions.builder().bindAddress("127.0.0.1").port(0)
                .relayMode(RelayMode.valueOf(args[3])).maxConnections(4096).connectionsPerSecondPerSource(1_000_000)
                .burstPerSource(1_000_000);
        String endpointBuffer = System.getProperty("bench.spliceEndpointBuffer");
        if (endpointBuffer != null) {
            // only when asked: a baseline build compiled without the option never gets here
            options.spliceEndpointBuffer(Integer.parseInt(endpointBuffer));
        }
        PassthroughServer server = PassthroughServer.start(options.build(),
                new SniRouter(PassthroughTable.of(Map.of(name.clusterName(), List.of(GatewayEndpoint.of(endpoint)))), Map.of()),
                new EndpointSelector(new OutlierTracker(Duration.ofSeconds(30), Duration.ofMinutes(5), System::nanoTime)),
                metrics);
        String statsFile = System.getProperty("bench.statsFile", "");
        if (!statsFile.isEmpty()) {
            writeStats(Path.of(statsFile), metrics.service(name.host()));
        }
        System.out.println("port " + server.localAddress().getPort());
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** Writes the connections relayed so far to {@code file} once a second, for profiling scripts that divide by them. */
    private static void writeStats(Path file, GatewayMetrics.ServiceMeters meters) {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Files.writeString(file, (long) meters.opened().count() + "\n");
                    Thread.sleep(1000);
                } catch (Exception e) {
                    return;
                }
            }
        }, "bench-stats");
        t.setDaemon(true);
        t.start();
    }
}
