package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.RecordingServer;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.sni.ClientHellos;
import io.isthmus.mesh.OutboundName;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A gateway that stops (SIGTERM, a rolling update) drains: it refuses new connections at once, the streams it relays
 * go on untouched until they end or the drain time is over, and then it is gone.
 */
class GatewayDrainTest {

    private static final OutboundName REVIEWS = new OutboundName(9080, "", "reviews.default.svc.cluster.local");

    @Test
    void aRelayedStreamGoesOnWhileTheGatewayDrainsAndTheDrainEndsWithIt() throws Exception {
        byte[] hello = ClientHellos.openSsl(REVIEWS.sni());
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder());
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length)) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
            InetSocketAddress at = gw.address();
            Socket s = relayed(at, hello);
            CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> gw.server.close(Duration.ofSeconds(60)));

            await().atMost(Duration.ofSeconds(20)).until(() -> refused(at));
            s.getOutputStream().write("more".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.connections.get(0).size() == hello.length + 4);
            assertThat(closing).as("draining while the stream is open").isNotDone();

            s.close();
            closing.get(20, TimeUnit.SECONDS);
            assertThat(gw.server.openConnections()).isZero();
        }
    }

    @Test
    void aStreamStillOpenWhenTheDrainTimeEndsIsClosed() throws Exception {
        byte[] hello = ClientHellos.openSsl(REVIEWS.sni());
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder());
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length);
                Socket s = relayedTo(gw, endpoint, hello)) {
            gw.server.close(Duration.ofMillis(300));
            assertThat(closedByPeer(s)).as("closed by the gateway").isTrue();
        }
    }

    private static Socket relayedTo(GatewayHarness gw, RecordingServer endpoint, byte[] hello) throws IOException {
        gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
        return relayed(gw.address(), hello);
    }

    /** A connection through the gateway whose ClientHello the endpoint has acknowledged: the relay is up. */
    private static Socket relayed(InetSocketAddress at, byte[] hello) throws IOException {
        Socket s = new Socket(at.getAddress(), at.getPort());
        s.setSoTimeout(20_000);
        s.getOutputStream().write(hello);
        s.getOutputStream().flush();
        String ack = new String(s.getInputStream().readNBytes(("ack:" + hello.length).length()), StandardCharsets.US_ASCII);
        assertThat(ack).isEqualTo("ack:" + hello.length);
        return s;
    }

    /** True when the peer closed the socket (end of stream or a reset), false when it answered or timed out. */
    private static boolean closedByPeer(Socket s) {
        try {
            s.setSoTimeout(20_000);
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean refused(InetSocketAddress at) {
        try (Socket probe = new Socket(at.getAddress(), at.getPort())) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
