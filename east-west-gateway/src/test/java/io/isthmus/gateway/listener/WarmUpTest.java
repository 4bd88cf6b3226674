package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.isthmus.gateway.GatewayConfig;
import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.RefusalReason;
import io.isthmus.gateway.SpiffeEchoServer;
import io.isthmus.gateway.TestPki;
import io.isthmus.gateway.route.GatewayEndpoint;
import io.isthmus.mesh.OutboundName;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * A gateway that has just started holds connections until the controller's first routes arrive
 * (a restart under load loses nothing a short wait saves); with no routes in time it refuses them as
 * not ready. Fixed routes never wait.
 */
class WarmUpTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);

    @Test
    void connectionsArrivingBeforeTheFirstRoutesWaitForThem() throws Exception {
        TestPki pki = TestPki.create();
        String client = "spiffe://cluster.local/ns/default/sa/productpage";
        CompletableFuture<Void> routes = new CompletableFuture<>();
        var pool = Executors.newSingleThreadExecutor();
        try (SpiffeEchoServer server = new SpiffeEchoServer(pki.material("spiffe://cluster.local/ns/default/sa/reviews"), "127.0.0.3", "r");
                GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder(), Map.of(GatewayConfig.CONTROLLER_SNI, server.address()), routes)) {
            Future<String> call = pool.submit(() -> {
                try (SSLSocket s = MeshTlsClient.connect(pki.workload(client), gw.address(), REVIEWS.sni())) {
                    return MeshTlsClient.exchange(s, "early");
                }
            });
            // a fixed route does not wait
            try (SSLSocket s = MeshTlsClient.connect(pki.workload(client), gw.address(), GatewayConfig.CONTROLLER_SNI)) {
                assertThat(MeshTlsClient.exchange(s, "xds")).endsWith("xds");
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.metrics.activeConnections() == 1);
            assertThat(call).isNotDone();
            gw.table.put(REVIEWS.clusterName(), List.of(GatewayEndpoint.of(server.address())));
            routes.complete(null);
            assertThat(call.get()).isEqualTo("r " + client + " early");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutRoutesInTimeTheConnectionIsRefusedAsNotReady() throws Exception {
        TestPki pki = TestPki.create();
        // The hello timeout is also how long a connection waits for the first routes. It must elapse here, so it
        // is short, but not so short that a cold TLS client on a loaded machine misses it with its ClientHello
        // (which would be refused for HELLO_TIMEOUT, not NOT_READY).
        try (GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder().helloTimeout(Duration.ofSeconds(2)), Map.of(),
                new CompletableFuture<>())) {
            assertThatThrownBy(() -> MeshTlsClient.connect(pki.workload("spiffe://cluster.local/ns/default/sa/p"), gw.address(), REVIEWS.sni()))
                    .isInstanceOf(Exception.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> gw.refused(RefusalReason.NOT_READY) == 1);
        }
    }
}
