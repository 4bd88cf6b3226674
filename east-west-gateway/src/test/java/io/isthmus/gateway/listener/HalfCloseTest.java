package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;

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

/** A client that half-closes after sending: its FIN reaches the endpoint, whose answer and close come back. */
class HalfCloseTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);

    @ParameterizedTest
    @EnumSource(value = RelayMode.class, names = {"SPLICE", "COPY"})
    void finIsPassedOnAndTheAnswerStillArrives(RelayMode mode) throws Exception {
        byte[] hello = ClientHellos.jdk(REVIEWS.sni());
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().relayMode(mode));
                RecordingServer endpoint = new RecordingServer("127.0.0.3", hello.length)) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
            try (Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(hello);
                s.getOutputStream().flush();
                s.shutdownOutput();
                InputStream in = s.getInputStream();
                // the endpoint answers, then sees our FIN (its read loop ends) and closes: we read the answer, then EOF
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ack:" + hello.length);
            }
        }
    }
}
