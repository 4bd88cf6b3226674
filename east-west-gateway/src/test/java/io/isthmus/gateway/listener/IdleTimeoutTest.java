package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.SpiffeEchoServer;
import io.isthmus.gateway.TestPki;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A relayed connection that carries no bytes either way for the idle timeout is closed on both sides. */
class IdleTimeoutTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);

    @ParameterizedTest
    @EnumSource(value = RelayMode.class, names = {"COPY", "SPLICE"})
    void idleConnectionIsClosed(RelayMode mode) throws Exception {
        TestPki pki = TestPki.create();
        try (SpiffeEchoServer server = new SpiffeEchoServer(pki.material("spiffe://cluster.local/ns/default/sa/reviews"), "127.0.0.3", "r");
                GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().relayMode(mode).idleTimeout(Duration.ofSeconds(2)))) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(server.address())));
            try (SSLSocket s = MeshTlsClient.connect(pki.workload("spiffe://cluster.local/ns/default/sa/productpage"), gw.address(), REVIEWS.sni())) {
                assertThat(MeshTlsClient.exchange(s, "ping")).endsWith("ping");
                await().atMost(Duration.ofSeconds(30)).until(() -> gw.metrics.activeConnections() == 0);
                assertThat(gw.metrics.service(REVIEWS.host()).closed().count()).isEqualTo(1);
            }
        }
    }
}
