package io.isthmus.e2e.demo;

import io.isthmus.e2e.demo.v1.DemoGrpc;
import io.isthmus.e2e.demo.v1.HelloReply;
import io.isthmus.e2e.demo.v1.HelloRequest;
import io.isthmus.e2e.demo.v1.WatchRequest;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpcio.server.GrpcIoServer;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * The demo app's gRPC service {@code isthmus.demo.v1.Demo}: {@code Hello} answers with who the
 * pod is and who called (the SPIFFE ID of {@code X-Forwarded-Client-Cert}); {@code Watch} streams
 * {@code count} such answers and ends OK with the trailers {@code x-demo-pod} and
 * {@code x-demo-sent}. Both wait the faults' delay first and fail with the faults' gRPC status
 * ({@link Faults#grpcStatus()}) instead of answering; every call's trailers carry
 * {@code x-demo-pod}, so a caller can tell the app's own status from one a proxy made up.
 */
final class DemoGrpcService {
    /** Trailer naming the pod that ended the call. */
    static final String POD_TRAILER = "x-demo-pod";
    /** Trailer of {@code Watch}: how many answers were sent. */
    static final String SENT_TRAILER = "x-demo-sent";
    private static final int MAX_COUNT = 10_000;
    private static final int MAX_INTERVAL_MS = 60_000;

    private final Vertx vertx;
    private final PodIdentity identity;
    private final Supplier<Faults> faults;
    private final IntSupplier port;
    private final Runnable served;

    DemoGrpcService(Vertx vertx, PodIdentity identity, Supplier<Faults> faults, IntSupplier port, Runnable served) {
        this.vertx = vertx;
        this.identity = identity;
        this.faults = faults;
        this.port = port;
        this.served = served;
    }

    /** Registers both methods on {@code server}. */
    void bind(GrpcIoServer server) {
        server.callHandler(DemoGrpc.getHelloMethod(), this::hello);
        server.callHandler(DemoGrpc.getWatchMethod(), this::watch);
    }

    private void hello(GrpcServerRequest<HelloRequest, HelloReply> req) {
        String caller = DemoServer.callerOf(req.headers().get("x-forwarded-client-cert"));
        GrpcServerResponse<HelloRequest, HelloReply> resp = req.response();
        req.last().onComplete(ar -> {
            if (ar.failed()) {
                return; // the call was cancelled or broken: nothing to answer
            }
            Faults f = faults.get();
            after(f, () -> {
                resp.trailers().set(POD_TRAILER, identity.pod());
                if (f.grpcStatus() != 0) {
                    fail(resp, f);
                } else {
                    resp.end(reply(caller, ar.result().getName(), 0));
                }
                served.run();
            });
        });
    }

    private void watch(GrpcServerRequest<WatchRequest, HelloReply> req) {
        String caller = DemoServer.callerOf(req.headers().get("x-forwarded-client-cert"));
        GrpcServerResponse<WatchRequest, HelloReply> resp = req.response();
        AtomicBoolean gone = new AtomicBoolean();
        resp.exceptionHandler(t -> gone.set(true));
        req.last().onComplete(ar -> {
            if (ar.failed()) {
                return;
            }
            WatchRequest w = ar.result();
            resp.trailers().set(POD_TRAILER, identity.pod());
            if (w.getCount() < 1 || w.getCount() > MAX_COUNT || w.getIntervalMs() > MAX_INTERVAL_MS) {
                resp.status(GrpcStatus.INVALID_ARGUMENT)
                        .statusMessage("count must be 1.." + MAX_COUNT + " and interval_ms 0.." + MAX_INTERVAL_MS).end();
                return;
            }
            Faults f = faults.get();
            after(f, () -> {
                if (f.grpcStatus() != 0) {
                    fail(resp, f);
                    served.run();
                    return;
                }
                send(resp, caller, w, 1, gone);
            });
        });
    }

    private void send(GrpcServerResponse<WatchRequest, HelloReply> resp, String caller, WatchRequest w, int seq,
            AtomicBoolean gone) {
        if (gone.get()) {
            return;
        }
        resp.write(reply(caller, "", seq));
        if (seq >= w.getCount()) {
            resp.trailers().set(SENT_TRAILER, Integer.toString(seq));
            resp.end();
            served.run();
            return;
        }
        if (w.getIntervalMs() == 0) {
            vertx.runOnContext(v -> send(resp, caller, w, seq + 1, gone));
        } else {
            vertx.setTimer(w.getIntervalMs(), id -> send(resp, caller, w, seq + 1, gone));
        }
    }

    private void fail(GrpcServerResponse<?, ?> resp, Faults f) {
        resp.status(GrpcStatus.valueOf(f.grpcStatus()))
                .statusMessage("fault injected in " + identity.cluster() + "/" + identity.pod()).end();
    }

    private void after(Faults f, Runnable action) {
        if (f.delay().isZero()) {
            action.run();
        } else {
            vertx.setTimer(Math.max(1, f.delay().toMillis()), id -> action.run());
        }
    }

    private HelloReply reply(String caller, String name, int seq) {
        return HelloReply.newBuilder()
                .setService(identity.service())
                .setNamespace(identity.namespace())
                .setCluster(identity.cluster())
                .setZone(identity.zone())
                .setPod(identity.pod())
                .setVersion(identity.version())
                .setCaller(caller)
                .setPort(port.getAsInt())
                .setName(name)
                .setSeq(seq)
                .build();
    }
}
