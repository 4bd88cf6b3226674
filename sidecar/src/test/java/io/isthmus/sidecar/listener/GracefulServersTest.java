package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The wait for a drained listener's address to be free of this Vert.x's servers. */
class GracefulServersTest {
    private Vertx vertx;
    private final List<Throwable> unhandled = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        vertx.exceptionHandler(unhandled::add);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAddressNoServerHoldsIsFreeAtOnce() {
        Future<Boolean> free = GracefulServers.released(vertx, new EndpointAddress("127.0.0.1", 1));
        assertThat(free.isComplete()).isTrue();
        assertThat(free.result()).isTrue();
    }

    @Test
    void aHeldAddressIsFreeOnceItsServerHasClosedAndTheWaitNeverFails() throws Exception {
        for (int i = 0; i < 100; i++) {
            int port;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            // a listener binds its own port (Vert.x shares a socket by the address asked for, not by port 0)
            NetServer server = vertx.createNetServer().connectHandler(s -> s.close());
            server.listen(port, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            Future<Boolean> free = GracefulServers.released(vertx, new EndpointAddress("127.0.0.1", port));
            assertThat(free.isComplete()).as("held while its server listens").isFalse();
            server.close();
            assertThat(free.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(unhandled).as("exceptions no handler caught").isEmpty();
    }
}
