package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.RefusalReason;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.time.Duration;

/** The connection cap and the per-source rate limit turn connections away, counted by reason. */
class AdmissionLimitsTest {

    private static Socket open(GatewayHarness gw) throws Exception {
        Socket s = new Socket(gw.address().getAddress(), gw.address().getPort());
        s.setSoTimeout(30_000);
        return s;
    }

    @Test
    void connectionsBeyondTheCapAreRefused() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().maxConnections(2))) {
            try (Socket a = open(gw); Socket b = open(gw)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> gw.metrics.activeConnections() == 2);
                try (Socket c = open(gw)) {
                    assertThat(c.getInputStream().read()).isEqualTo(-1);
                }
                assertThat(gw.refused(RefusalReason.CONNECTION_LIMIT)).isEqualTo(1);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.metrics.activeConnections() == 0);
            try (Socket d = open(gw)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> gw.metrics.activeConnections() == 1);
            }
            assertThat(gw.refused(RefusalReason.CONNECTION_LIMIT)).isEqualTo(1);
        }
    }

    @Test
    void aSourceOpeningConnectionsTooFastIsRateLimited() throws Exception {
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().connectionsPerSecondPerSource(1).burstPerSource(3))) {
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    sockets.add(open(gw));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(RefusalReason.RATE_LIMITED) >= 1);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
