package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.RecordingServer;
import io.isthmus.gateway.RefusalReason;
import io.isthmus.gateway.TestPki;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the gateway refuses: it is never an open relay, and every refusal is counted by reason. */
class RefusalTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);

    private static GatewayHarness gw;
    private static RecordingServer endpoint;
    private static SSLContext client;

    @BeforeAll
    static void setUp() throws Exception {
        // Generous: a cold TLS client on a loaded machine may take a while to send its ClientHello, and a
        // deadline passing first would refuse for HELLO_TIMEOUT instead of the reason under test.
        gw = new GatewayHarness(PassthroughOptions.builder().helloTimeout(Duration.ofSeconds(30)));
        endpoint = new RecordingServer("127.0.0.3", 1);
        gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(endpoint.address())));
        gw.table.put(OutboundName.of("empty.default.svc.cluster.local", 80).clusterName(), List.of());
        client = TestPki.create().workload("spiffe://cluster.local/ns/default/sa/productpage");
    }

    @AfterAll
    static void tearDown() throws Exception {
        gw.close();
        endpoint.close();
    }

    private void refusedTls(String sni, RefusalReason reason) {
        long before = gw.refused(reason);
        assertThatThrownBy(() -> MeshTlsClient.connect(client, gw.address(), sni)).isInstanceOf(Exception.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(reason) == before + 1);
    }

    @Test
    void unknownServiceIsRefused() {
        refusedTls(OutboundName.of("ratings.default.svc.cluster.local", 9080).sni(), RefusalReason.UNKNOWN_SERVICE);
        refusedTls(new OutboundName(9080, "v9", REVIEWS.host()).sni(), RefusalReason.UNKNOWN_SERVICE);
        refusedTls(OutboundName.of(REVIEWS.host(), 9081).sni(), RefusalReason.UNKNOWN_SERVICE);
    }

    @Test
    void knownServiceWithoutEndpointsIsRefused() {
        refusedTls(OutboundName.of("empty.default.svc.cluster.local", 80).sni(), RefusalReason.NO_HEALTHY_ENDPOINT);
    }

    @Test
    void missingSniIsRefused() {
        refusedTls(null, RefusalReason.NO_SNI);
    }

    @Test
    void nonMeshNamesAndAddressesAreRefused() {
        refusedTls("reviews.default.svc.cluster.local", RefusalReason.SNI_NOT_MESH);
        refusedTls("www.example.com", RefusalReason.SNI_NOT_MESH);
        refusedTls("10.2.0.5", RefusalReason.SNI_IP_ADDRESS);
    }

    @Test
    void garbageIsRefusedAndNothingReachesAnEndpoint() throws Exception {
        int before = endpoint.connections.size();
        for (String garbage : List.of("GET / HTTP/1.1\r\nHost: reviews\r\n\r\n", "\u0016\u0003\u0001\u0000\u0010\u0002junk", "\u0080\u0010\u0001\u0003\u0001")) {
            try (Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write(garbage.getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readToEnd(s.getInputStream())).isEqualTo(0);
            }
        }
        assertThat(gw.refused(RefusalReason.NOT_TLS)).isPositive();
        assertThat(gw.refused(RefusalReason.NOT_CLIENT_HELLO)).isPositive();
        assertThat(gw.refused(RefusalReason.SSLV2)).isPositive();
        assertThat(endpoint.connections.size()).isEqualTo(before);
    }

    @Test
    void slowClientIsCutAtTheDeadline() throws Exception {
        byte[] hello = io.isthmus.gateway.sni.ClientHellos.jdk(REVIEWS.sni());
        try (GatewayHarness shortDeadline = new GatewayHarness(PassthroughOptions.builder().helloTimeout(Duration.ofMillis(500)));
                Socket s = new Socket(shortDeadline.address().getAddress(), shortDeadline.address().getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(hello, 0, 20);
            s.getOutputStream().flush();
            // the gateway closes the connection on its own once the deadline passes
            assertThat(readToEnd(s.getInputStream())).isEqualTo(0);
            await().atMost(Duration.ofSeconds(30)).until(() -> shortDeadline.refused(RefusalReason.HELLO_TIMEOUT) == 1);
        }
    }

    @Test
    void clientClosingMidHelloIsCounted() throws Exception {
        long before = gw.refused(RefusalReason.CLOSED_BEFORE_HELLO);
        byte[] hello = io.isthmus.gateway.sni.ClientHellos.jdk(REVIEWS.sni());
        try (Socket s = new Socket(gw.address().getAddress(), gw.address().getPort())) {
            s.getOutputStream().write(hello, 0, 30);
            s.shutdownOutput();
            s.setSoTimeout(30_000);
            assertThat(readToEnd(s.getInputStream())).isEqualTo(0);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(RefusalReason.CLOSED_BEFORE_HELLO) == before + 1);
    }

    private static int readToEnd(InputStream in) throws Exception {
        int total = 0;
        byte[] buf = new byte[1024];
        int n;
        try {
            while ((n = in.read(buf)) > 0) {
                total += n;
            }
        } catch (java.net.SocketException reset) {
            // a reset is a refusal too
        }
        return total;
    }
}
