package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connection pools per event loop: each loop gets its own client with an equal share of the
 * cluster's limits, and a cluster whose limits are too small to share keeps one exact client.
 */
class ConnectionPoolsTest {

    Vertx vertx;
    final List<Integer> shares = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpClientAgent client(int share) {
        shares.add(share);
        return vertx.httpClientBuilder().build();
    }

    private HttpClientAgent on(Context ctx, ConnectionPools pools) throws Exception {
        CompletableFuture<HttpClientAgent> f = new CompletableFuture<>();
        ctx.runOnContext(v -> f.complete(pools.current()));
        return f.get(10, TimeUnit.SECONDS);
    }

    private List<Context> contextsOnTwoLoops() {
        List<Context> out = new ArrayList<>();
        Context first = ((VertxInternal) vertx).createEventLoopContext();
        out.add(first);
        while (out.size() < 2) {
            Context c = ((VertxInternal) vertx).createEventLoopContext();
            if (((ContextInternal) c).nettyEventLoop() != ((ContextInternal) first).nettyEventLoop()) {
                out.add(c);
            }
        }
        return out;
    }

    @Test
    void eachEventLoopHasItsOwnClientWithAShareOfTheLimits() throws Exception {
        ConnectionPools pools = new ConnectionPools(vertx, CircuitBreakerLimits.DEFAULTS, this::client);
        List<Context> ctxs = contextsOnTwoLoops();

        HttpClientAgent a = on(ctxs.get(0), pools);
        HttpClientAgent b = on(ctxs.get(1), pools);

        assertThat(pools.divisor()).isEqualTo(2);
        assertThat(a).isNotSameAs(b);
        assertThat(on(ctxs.get(0), pools)).isSameAs(a);
        Context sameLoop = ((VertxInternal) vertx).createEventLoopContext();
        while (((ContextInternal) sameLoop).nettyEventLoop() != ((ContextInternal) ctxs.get(1)).nettyEventLoop()) {
            sameLoop = ((VertxInternal) vertx).createEventLoopContext();
        }
        assertThat(on(sameLoop, pools)).as("another context on the same loop").isSameAs(b);
        assertThat(shares).containsExactly(2, 2);
        pools.close();
    }

    @Test
    void limitsTooSmallToShareKeepOneClientForAllLoops() throws Exception {
        CircuitBreakerLimits small = new CircuitBreakerLimits(8, 1024, 1024, Integer.MAX_VALUE, -1, 3);
        ConnectionPools pools = new ConnectionPools(vertx, small, this::client);
        List<Context> ctxs = contextsOnTwoLoops();

        assertThat(pools.divisor()).isEqualTo(1);
        assertThat(on(ctxs.get(0), pools)).isSameAs(on(ctxs.get(1), pools));
        assertThat(shares).containsExactly(1);
        pools.close();
    }

    @Test
    void callersOffTheEventLoopsStillGetAClient() {
        ConnectionPools pools = new ConnectionPools(vertx, CircuitBreakerLimits.DEFAULTS, this::client);

        assertThat(pools.current()).isNotNull();
        pools.close();
    }
}
