package io.isthmus.gateway.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.gateway.GatewayConfig;
import io.isthmus.gateway.GatewayHarness;
import io.isthmus.gateway.MeshTlsClient;
import io.isthmus.gateway.SpiffeEchoServer;
import io.isthmus.gateway.TestPki;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** The controller's port is reachable through the gateway by its own server name (primary-remote). */
class ControllerPassthroughTest {

    @Test
    void controllerServerNameIsPassedToTheControllerAddress() throws Exception {
        TestPki pki = TestPki.create();
        String proxyId = "spiffe://cluster.local/ns/default/sa/ratings";
        try (SpiffeEchoServer controller = new SpiffeEchoServer(pki.material("spiffe://cluster.local/ns/isthmus-system/sa/isthmus-controller"),
                "127.0.0.3", "controller");
                GatewayHarness gw = new GatewayHarness(PassthroughOptions.builder(), Map.of(GatewayConfig.CONTROLLER_SNI, controller.address()))) {
            try (SSLSocket s = MeshTlsClient.connect(pki.workload(proxyId), gw.address(), GatewayConfig.CONTROLLER_SNI)) {
                assertThat(MeshTlsClient.exchange(s, "xds")).isEqualTo("controller " + proxyId + " xds");
            }
            assertThat(gw.metrics.service(GatewayConfig.CONTROLLER_SNI).opened().count()).isEqualTo(1);
        }
    }
}
