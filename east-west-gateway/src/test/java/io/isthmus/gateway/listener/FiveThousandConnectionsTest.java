package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 5,000 connections relayed at the same time by the gateway (default AUTO relay), with the clients
 * and the endpoint in another process: every connection's bytes come back, the gateway's pooled
 * buffers stay small while they are open, and every connection is accounted for when they close.
 */
class FiveThousandConnectionsTest {

    private static final OutboundName ECHO = OutboundName.of("echo.default.svc.cluster.local", 7);
    private static final int CONNECTIONS = 5000;

    @Test
    void fiveThousandConcurrentConnections() throws Exception {
        Process peer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), LoadPeer.class.getName(), ECHO.sni(), "2048")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().ioThreads(2)
                .connectionsPerSecondPerSource(1_000_000).burstPerSource(1_000_000));
                BufferedReader out = new BufferedReader(new InputStreamReader(peer.getInputStream()));
                PrintWriter in = new PrintWriter(peer.getOutputStream(), true)) {
            int echoPort = Integer.parseInt(out.readLine().split(" ")[1]);
            gw.table.put(ECHO.clusterName(), List.of(GatewayEndpoint.of(new InetSocketAddress("127.0.0.3", echoPort))));
            in.println("go " + gw.address().getPort() + " " + CONNECTIONS);
            String complete = out.readLine();
            assertThat(complete).isEqualTo("complete " + CONNECTIONS);
            assertThat(gw.metrics.activeConnections()).isEqualTo(CONNECTIONS);
            assertThat(gw.metrics.service(ECHO.host()).opened().count()).isEqualTo(CONNECTIONS);
            long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            System.gc();
            long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            System.out.printf("%d relayed connections open: pooled direct %d KiB, heap after GC %d MiB%n", CONNECTIONS, direct >> 10, heap >> 20);
            // idle connections hold no buffers: memory does not grow with the number of connections
            assertThat(direct).isLessThan(64L << 20);
            assertThat(heap).isLessThan(512L << 20);
            in.println("close");
            assertThat(out.readLine()).isEqualTo("closed");
            await().atMost(Duration.ofMinutes(1)).until(() -> gw.metrics.activeConnections() == 0);
            assertThat(gw.metrics.service(ECHO.host()).closed().count()).isEqualTo(CONNECTIONS);
        } finally {
            peer.destroy();
            peer.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
