package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.SpiffeEchoServer;
import io.isthmus.gateway.TestPki;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A mesh client reaches a mesh server through the gateway with mTLS end to end; the gateway holds no key. */
class MtlsPassthroughTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);
    private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/productpage";
    private static final String SERVER_ID = "spiffe://cluster.local/ns/default/sa/reviews";

    private static TestPki pki;
    private static SpiffeEchoServer server;
    private static SSLContext client;

    @BeforeAll
    static void setUp() throws Exception {
        pki = TestPki.create();
        server = new SpiffeEchoServer(pki.material(SERVER_ID), "127.0.0.3", "reviews-v1");
        client = pki.workload(CLIENT_ID);
    }

    @AfterAll
    static void tearDown() throws Exception {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(RelayMode.class)
    void serverSeesTheClientsSpiffeIdThroughTheGateway(RelayMode mode) throws Exception {
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().relayMode(mode))) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(server.address())));
            try (SSLSocket s = MeshTlsClient.connect(client, gw.address(), REVIEWS.sni())) {
                assertThat(s.getSession().getPeerPrincipal()).isNotNull();
                assertThat(MeshTlsClient.exchange(s, "hi")).isEqualTo("reviews-v1 " + CLIENT_ID + " hi");
                // 3.6 MB each way: AUTO mode hands both directions to splice(2) after the first MiB
                for (int i = 0; i < 4; i++) {
                    String big = Integer.toString(i).repeat(900_000);
                    assertThat(MeshTlsClient.exchange(s, big)).isEqualTo("reviews-v1 " + CLIENT_ID + " " + big);
                }
            }
            var meters = gw.metrics.service(REVIEWS.host());
            assertThat(meters.opened().count()).isEqualTo(1);
            if (mode == RelayMode.COPY) {
                assertThat(meters.received().count()).isGreaterThan(3_600_000);
                assertThat(meters.sent().count()).isGreaterThan(3_600_000);
            }
        }
    }
}
