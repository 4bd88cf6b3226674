package io.isthmus.sidecar.cluster;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * The HTTP connection pools of one cluster: one Vert.x client per event loop, created on first use by
 * that loop, so that a request, its upstream connection and the response stay on the loop that read
 * the request (Envoy's per-worker pools; a pooled connection used from another loop costs two thread
 * hand-offs per request). Each loop's pools get an equal share of the cluster's connection and
 * pending-request limits, so the cluster never holds more than its limits across loops. When a limit
 * is too small to share out (fewer than {@link #MIN_SHARE} per loop), the cluster keeps one client for
 * all loops instead, whose limits are exact.
 */
final class ConnectionPools {

    /** Smallest per-loop share of a limit for which the pools are split by event loop. */
    static final int MIN_SHARE = 16;

    private final Vertx vertx;
    private final IntFunction<HttpClientAgent> factory;
    private final int loops;
    private final HttpClientAgent shared;
    private final Map<EventLoop, HttpClientAgent> perLoop = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param vertx whose event loops use the pools
     * @param limits the cluster's circuit-breaker limits
     * @param factory builds a client given the divisor of the connection and pending limits (1 = whole limits)
     */
    ConnectionPools(Vertx vertx, CircuitBreakerLimits limits, IntFunction<HttpClientAgent> factory) {
        this.vertx = vertx;
        this.factory = factory;
        int n = eventLoops(vertx);
        boolean split = n > 1 && limits.maxConnections() / n >= MIN_SHARE
                && (limits.maxPendingRequests() == 0 || limits.maxPendingRequests() / n >= MIN_SHARE);
        this.loops = split ? n : 1;
        this.shared = split ? null : factory.apply(1);
    }

    /** How many ways the limits are divided: the number of event loops, or 1 with one shared client. */
    int divisor() {
        return loops;
    }

    /** The client of the calling event loop (of the loop Vert.x picks when called from another thread). */
    HttpClientAgent current() {
        if (shared != null) {
            return shared;
        }
        ContextInternal ctx = ContextInternal.current();
        EventLoop loop = (ctx != null ? ctx : (ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
        HttpClientAgent c = perLoop.get(loop);
        if (c == null) {
            c = perLoop.computeIfAbsent(loop, k -> factory.apply(loops));
            if (closed) {
                c.close();
            }
        }
        return c;
    }

    /** Closes every client. */
    void close() {
        closed = true;
        if (shared != null) {
            shared.close();
        }
        List<HttpClientAgent> all = new ArrayList<>(perLoop.values());
        all.forEach(HttpClientAgent::close);
    }

    private static int eventLoops(Vertx vertx) {
        if (!(vertx instanceof VertxInternal vi)) {
            return 1;
        }
        EventLoopGroup group = vi.nettyEventLoopGroup();
        int n = 0;
        for (var ignored : group) {
            n++;
        }
        return Math.max(1, n);
    }
}
