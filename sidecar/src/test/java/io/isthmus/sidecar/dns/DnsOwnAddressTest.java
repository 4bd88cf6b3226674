package io.isthmus.sidecar.dns;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A pod without its own network namespace: the DNS proxy answers mesh names with the pod's own outbound address. */
class DnsOwnAddressTest {
    private final Vertx vertx = Vertx.vertx();
    private DnsProxy proxy;

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
        vertx.close();
    }

    @Test
    void meshNamesAreAnsweredWithTheOutboundAddressOfTheNode() throws Exception {
        proxy = DnsProxy.start(vertx, new InetSocketAddress("127.0.0.1", 0),
                DnsProxyTest.fromRoutes("reviews.default.svc.cluster.local"), Optional.empty(),
                DnsProxy.answerAddress("127.1.4.3")).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        DnsProxyTest.Answer a = DnsProxyTest.ask(proxy.localAddress(),
                DnsProxyTest.query(7, "reviews.default.svc.cluster.local", DnsProxyTest.A));
        assertThat(a.answers()).isEqualTo(1);
        assertThat(InetAddress.getByAddress(a.firstAddress()).getHostAddress()).isEqualTo("127.1.4.3");
    }

    @Test
    void anAbsentValueKeepsTheDefaultAndABadOneIsNamed() {
        assertThat(DnsProxy.answerAddress("")).isEmpty();
        assertThat(DnsProxy.answerAddress(null)).isEmpty();
        assertThatThrownBy(() -> DnsProxy.answerAddress("127.1.4.256")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ISTHMUS_OUTBOUND_ADDRESS").hasMessageContaining("127.1.4.256");
        assertThatThrownBy(() -> DnsProxy.answerAddress("reviews")).isInstanceOf(IllegalArgumentException.class);
    }
}
