package io.isthmus.sidecar.listener;

import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.impl.ServerID;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The servers a listener bound (its front sockets and the loopback servers behind them), so that they can be shut
 * down gracefully together when the listener drains; and the wait for a drained listener's address to be free.
 */
final class GracefulServers {

    /** How long a draining listener's address may take to be released before a new socket is bound anyway. */
    static final long RELEASE_WAIT_SECONDS = 5;

    /** Each server's graceful shutdown, given the milliseconds its open connections may take. */
    private final List<LongFunction<Future<Void>>> shutdowns = new CopyOnWriteArrayList<>();

    HttpServer add(HttpServer server) {
        shutdowns.add(millis -> server.shutdown(millis, TimeUnit.MILLISECONDS));
        return server;
    }

    NetServer add(NetServer server) {
        shutdowns.add(millis -> server.shutdown(millis, TimeUnit.MILLISECONDS));
        return server;
    }

    /**
     * Starts every server's graceful shutdown: each stops accepting at once, its connections get {@code millis} to
     * finish (Vert.x closes an idle HTTP/1.1 connection at once and a busy one after its response, sends HTTP/2 a
     * GOAWAY, leaves TCP connections open), then the rest is closed.
     *
     * @return the shutdowns, each completing when its server's last connection is gone
     */
    List<Future<Void>> shutdown(long millis) {
        List<Future<Void>> all = new ArrayList<>();
        shutdowns.forEach(s -> all.add(s.apply(millis)));
        return all;
    }

    /**
     * Completes when no server of this Vert.x holds {@code address} any more (at most {@link #RELEASE_WAIT_SECONDS},
     * then anyway; the result says whether it was released). A server shutting down gracefully closes its listening
     * socket first, asynchronously; a server bound to the address before that would join the old socket, which Vert.x
     * shares between the servers of one address, and serve with the old socket's TLS.
     */
    static Future<Boolean> released(Vertx vertx, EndpointAddress address) {
        if (address.port() <= 0) {
            return Future.succeededFuture(true);
        }
        ServerID id = new ServerID(address.port(), address.host());
        Promise<Boolean> released = Promise.promise();
        awaitReleased(vertx, id, System.nanoTime() + TimeUnit.SECONDS.toNanos(RELEASE_WAIT_SECONDS), released);
        return released.future();
    }

    /**
     * Checks now and then every millisecond on a one-shot timer, so no timer is ever cancelled (a periodic timer
     * cancelled from its own first run, when that run comes before Vert.x has stored the timer's future, fails).
     */
    private static void awaitReleased(Vertx vertx, ServerID id, long deadline, Promise<Boolean> released) {
        var bound = ((VertxInternal) vertx).sharedTcpServers();
        boolean held;
        synchronized (bound) {
            held = bound.containsKey(id);
        }
        if (!held || System.nanoTime() >= deadline) {
            released.tryComplete(!held);
            return;
        }
        vertx.setTimer(1, t -> awaitReleased(vertx, id, deadline, released));
    }
}
