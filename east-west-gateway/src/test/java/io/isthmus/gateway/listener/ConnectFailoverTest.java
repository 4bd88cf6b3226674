package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.RefusalReason;
import io.isthmus.gateway.SpiffeEchoServer;
import io.isthmus.gateway.TestPki;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.OutboundName;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import java.time.Duration;

/** An endpoint that refuses the connection is ejected and the next one is used before any byte is relayed. */
class ConnectFailoverTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);
    private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/productpage";

    /** A loopback address:port with nothing listening (bound, then closed). */
    private static InetSocketAddress deadEndpoint(String host) throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
            return (InetSocketAddress) s.getLocalSocketAddress();
        }
    }

    @Test
    void firstEndpointDownTheNextOneIsUsedAndTheDeadOneEjected() throws Exception {
        TestPki pki = TestPki.create();
        InetSocketAddress dead = deadEndpoint("127.0.0.4");
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder());
                SpiffeEchoServer live = new SpiffeEchoServer(pki.material("spiffe://cluster.local/ns/default/sa/reviews"), "127.0.0.3", "reviews-v1")) {
            Locality zone = Locality.of("west", "west-a");
            gw.table.put(REVIEWS.clusterName(), List.of(new GatewayEndpoint(dead, zone, 0, 1), new GatewayEndpoint(live.address(), zone, 1, 1)));
            try (SSLSocket s = MeshTlsClient.connect(pki.workload(CLIENT_ID), gw.address(), REVIEWS.sni())) {
                assertThat(MeshTlsClient.exchange(s, "one")).isEqualTo("reviews-v1 " + CLIENT_ID + " one");
            }
            var meters = gw.metrics.service(REVIEWS.host());
            assertThat(meters.connectFailures().count()).isEqualTo(1);
            assertThat(gw.outliers.ejected(dead)).isTrue();
            // ejected: the next connection goes straight to the live endpoint
            try (SSLSocket s = MeshTlsClient.connect(pki.workload(CLIENT_ID), gw.address(), REVIEWS.sni())) {
                assertThat(MeshTlsClient.exchange(s, "two")).isEqualTo("reviews-v1 " + CLIENT_ID + " two");
            }
            assertThat(meters.connectFailures().count()).isEqualTo(1);
        }
    }

    @Test
    void everyEndpointDownIsRefusedAfterTryingThemAll() throws Exception {
        TestPki pki = TestPki.create();
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder())) {
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(deadEndpoint("127.0.0.4")), GatewayEndpoint.of(deadEndpoint("127.0.0.5"))));
            assertThatThrownBy(() -> MeshTlsClient.connect(pki.workload(CLIENT_ID), gw.address(), REVIEWS.sni())).isInstanceOf(Exception.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(RefusalReason.UPSTREAM_CONNECT_FAILED) == 1);
            assertThat(gw.metrics.service(REVIEWS.host()).connectFailures().count()).isEqualTo(2);
        }
    }
}
