package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.RecordingServer;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.sni.ClientHellos;
import io.isthmus.mesh.OutboundName;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A spliced direction bounds the kernel buffers of the endpoint-side socket only ({@code spliceEndpointBuffer}); the
 * client's socket, which crosses networks, keeps the kernel's autotuning, and so does everything in the copy relay.
 * The sockets' buffers are read from the kernel with {@code ss -tm} (Linux doubles what is set, for its bookkeeping).
 */
class SpliceEndpointBufferTest {

    private static final OutboundName REVIEWS = new OutboundName(9080, "v2", "reviews.default.svc.cluster.local");
    private static final int BUFFER = 40 * 1024;
    private static final Pattern SKMEM = Pattern.compile("skmem:\\(r\\d+,rb(\\d+),t\\d+,tb(\\d+)");

    @Test
    void theEndpointSideOfASplicedConnectionGetsTheBoundedBuffersAndTheClientSideKeepsAutotuning() throws Exception {
        assumeThat(Epoll.isAvailable()).as("splice needs the native epoll transport").isTrue();
        long[][] sockets = relayedSockets(RelayMode.SPLICE, BUFFER);

        assertThat(sockets[0]).as("endpoint side: receive and send buffers (rb, tb)").containsExactly(2L * BUFFER, 2L * BUFFER);
        assertThat(sockets[1][0]).as("client side receive buffer").isNotEqualTo(2L * BUFFER);
        assertThat(sockets[1][1]).as("client side send buffer").isNotEqualTo(2L * BUFFER);
    }

    @Test
    void theCopyRelayAndAZeroSettingLeaveTheKernelsAutotuning() throws Exception {
        assumeThat(Epoll.isAvailable()).isTrue();
        assertThat(relayedSockets(RelayMode.COPY, BUFFER)[0]).doesNotContain(2L * BUFFER);
        assertThat(relayedSockets(RelayMode.SPLICE, 0)[0]).doesNotContain(2L * BUFFER);
    }

    /** The {rb, tb} of the gateway's endpoint-side socket and of its client-side socket while a connection is relayed. */
    private static long[][] relayedSockets(RelayMode mode, int buffer) throws Exception {
        byte[] hello = ClientHellos.openSsl(REVIEWS.sni());
        byte[] after = "after the hello".getBytes(StandardCharsets.US_ASCII);
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().relayMode(mode).spliceEndpointBuffer(buffer));
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length + after.length)) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
            try (Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(hello);
                s.getOutputStream().write(after);
                s.getOutputStream().flush();
                String ack = new String(s.getInputStream().readNBytes(("ack:" + (hello.length + after.length)).length()),
                        StandardCharsets.US_ASCII);
                assertThat(ack).isEqualTo("ack:" + (hello.length + after.length));
                long[][] out = new long[2][];
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    // the gateway's socket to the endpoint: its destination port is the endpoint's
                    out[0] = buffers("dport = :" + endpoint.address().getPort());
                    // the gateway's socket from the client: its source port is the gateway's, its destination the client's
                    out[1] = buffers("sport = :" + gw.address().getPort() + " and dport = :" + s.getLocalPort());
                    assertThat(out[0]).isNotNull();
                    assertThat(out[1]).isNotNull();
                });
                return out;
            }
        }
    }

    /** {rb, tb} of the one established socket the filter selects, or null when there is none yet. */
    private static long[] buffers(String filter) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ss", "-tmnH", "state", "established", "( " + filter + " )")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher m = SKMEM.matcher(out);
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }
}
