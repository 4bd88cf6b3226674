package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.RecordingServer;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.gateway.sni.ClientHellos;
import io.isthmus.mesh.OutboundName;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import java.time.Duration;

/** The endpoint receives exactly the client's bytes, however they were cut, ClientHello included. */
class ReplayTest {

    private static final OutboundName REVIEWS = new OutboundName(9080, "v2", "reviews.default.svc.cluster.local");

    @ParameterizedTest
    @EnumSource(value = RelayMode.class, names = {"SPLICE", "COPY"})
    void clientHelloDeliveredOneByteAtATimeIsReplayedExactly(RelayMode mode) throws Exception {
        byte[] hello = ClientHellos.openSsl(REVIEWS.sni());
        byte[] after = "after the hello".getBytes(StandardCharsets.US_ASCII);
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().relayMode(mode));
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length + after.length)) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
            try (Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(10_000);
                for (byte b : hello) {
                    s.getOutputStream().write(b);
                    s.getOutputStream().flush();
                }
                s.getOutputStream().write(after);
                s.getOutputStream().flush();
                InputStream in = s.getInputStream();
                String ack = new String(in.readNBytes(("ack:" + (hello.length + after.length)).length()), StandardCharsets.US_ASCII);
                assertThat(ack).isEqualTo("ack:" + (hello.length + after.length));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> endpoint.connections.size() == 1);
            byte[] expected = new byte[hello.length + after.length];
            System.arraycopy(hello, 0, expected, 0, hello.length);
            System.arraycopy(after, 0, expected, hello.length, after.length);
            assertThat(endpoint.connections.get(0).toByteArray()).isEqualTo(expected);
        }
    }
}
