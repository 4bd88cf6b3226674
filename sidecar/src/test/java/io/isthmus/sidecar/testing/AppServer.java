package io.isthmus.sidecar.testing;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** An upstream test server: answers {@code <name>} with a settable status, counts hits, keeps the last headers. */
public final class AppServer implements AutoCloseable {

    public final String name;
    public final String host;
    public final int port;
    public final AtomicInteger hits = new AtomicInteger();
    public final AtomicInteger status = new AtomicInteger(200);
    public final AtomicInteger delayMillis = new AtomicInteger();
    public final AtomicReference<MultiMap> lastHeaders = new AtomicReference<>();
    /** The request target (path and query) of the last request received. */
    public final AtomicReference<String> lastUri = new AtomicReference<>();
    /** The length of the last request body received, -1 before any. */
    public final AtomicInteger lastBodyLength = new AtomicInteger(-1);
    private final HttpServer server;

    private AppServer(String name, String host, int port, HttpServer server) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.server = server;
    }

    static AppServer start(Vertx vertx, String name, String host, int port) {
        AppServer[] self = new AppServer[1];
        HttpServer server = vertx.createHttpServer().requestHandler(req -> {
            AppServer s = self[0];
            s.hits.incrementAndGet();
            s.lastHeaders.set(io.vertx.core.http.HttpHeaders.headers().addAll(req.headers()));
            s.lastUri.set(req.uri());
            req.body().onSuccess(b -> {
                s.lastBodyLength.set(b.length());
                Runnable answer = () -> req.response().setStatusCode(s.status.get()).putHeader("x-served-by", name)
                        .end(name + (b.length() > 0 ? ":" + b : ""));
                if (s.delayMillis.get() > 0) {
                    vertx.setTimer(s.delayMillis.get(), id -> answer.run());
                } else {
                    answer.run();
                }
            });
        });
        self[0] = new AppServer(name, host, port, server);
        TestMesh.await(server.listen(port, host));
        return self[0];
    }

    /** Stops accepting: connections to the port are refused from now on. */
    public void stop() {
        TestMesh.await(server.close());
    }

    @Override
    public void close() {
        server.close();
    }
}
