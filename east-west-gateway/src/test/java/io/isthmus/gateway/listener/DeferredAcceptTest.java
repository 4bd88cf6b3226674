package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.RecordingServer;
import io.isthmus.gateway.RefusalReason;
import io.isthmus.gateway.relay.Transport;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.sni.ClientHellos;
import io.isthmus.mesh.OutboundName;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On epoll the passthrough listener sets {@code TCP_DEFER_ACCEPT}: the kernel hands a connection over once
 * its ClientHello is in, and a client that never speaks is still handed over and cut at the hello deadline.
 */
class DeferredAcceptTest {

    private static final OutboundName REVIEWS = new OutboundName(9080, "v2", "reviews.default.svc.cluster.local");

    @BeforeAll
    static void epoll() {
        assumeTrue(Transport.detect().canSplice(), "TCP_DEFER_ACCEPT is an epoll socket option");
    }

    @Test
    void connectionIsHandedOverWithItsFirstBytes() throws Exception {
        byte[] hello = ClientHellos.openSsl(REVIEWS.sni());
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder());
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length)) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
            try (Socket silent = new Socket(gw.address().getAddress(), gw.address().getPort());
                    Socket speaking = new Socket(gw.address().getAddress(), gw.address().getPort())) {
                speaking.getOutputStream().write(hello);
                speaking.getOutputStream().flush();
                await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.connections.size() == 1
                        && endpoint.connections.get(0).size() == hello.length);
                // Both are connected as far as their clients can tell, and the silent one connected first, yet the
                // gateway has only the one that spoke to watch over.
                assertThat(gw.metrics.activeConnections()).isEqualTo(1);
                silent.getOutputStream().write(hello);
                silent.getOutputStream().flush();
                await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.connections.size() == 2
                        && endpoint.connections.get(1).size() == hello.length);
                assertThat(gw.metrics.activeConnections()).isEqualTo(2);
            }
        }
    }

    @Test
    void silentClientIsStillCutAtTheHelloDeadline() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().helloTimeout(Duration.ofMillis(500)));
                Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
            s.setSoTimeout(30_000);
            // The kernel hands the connection over after its deferral, then the gateway's deadline runs.
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(RefusalReason.HELLO_TIMEOUT) == 1);
        }
    }
}
