package io.isthmus.e2e.demo;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.e2e.demo.v1.DemoGrpc;
import io.isthmus.e2e.demo.v1.HelloReply;
import io.isthmus.e2e.demo.v1.HelloRequest;
import io.isthmus.e2e.demo.v1.WatchRequest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The app's own gRPC client (grpc-java over Netty, plaintext h2c): calls {@code host:port} as an
 * application would, resolving the host through the pod's resolver (the sidecar's DNS proxy) and
 * keeping one channel (one HTTP/2 connection) per target. Retries are off, so every failure is
 * one the mesh let through.
 */
public final class GrpcCaller implements AutoCloseable {
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * The outcome of one call.
     *
     * @param code          the gRPC status code (0 = OK)
     * @param message       the status description, or the transport error
     * @param responded     whether an HTTP/2 response (headers or trailers) arrived; false when the
     *                      status was made up by the client (no connection, deadline before any answer)
     * @param replies       the messages received, in order
     * @param trailers      the trailers (ASCII ones) of the answer, or of a trailers-only answer its headers
     * @param latencyMicros time from start to the status
     */
    public record Result(int code, String message, boolean responded, List<HelloReply> replies,
                         Map<String, String> trailers, long latencyMicros) {
        public Result {
            replies = List.copyOf(replies);
            trailers = Map.copyOf(trailers);
        }

        /** The status code's name ({@code OK}, {@code UNAVAILABLE}...). */
        public String codeName() {
            return Faults.grpcName(code);
        }

        /**
         * The HTTP status a load sample records: 200 for OK, the HTTP counterpart of a status that
         * came with an answer (UNAVAILABLE 503, INTERNAL 500, DEADLINE_EXCEEDED 504, RESOURCE_EXHAUSTED
         * 429, UNIMPLEMENTED 501, CANCELLED 499, others 500), 0 when no answer arrived.
         */
        public int httpStatus() {
            if (code == 0) {
                return 200;
            }
            if (!responded) {
                return 0;
            }
            return switch (code) {
                case 14 -> 503;
                case 4 -> 504;
                case 8 -> 429;
                case 12 -> 501;
                case 1 -> 499;
                case 16 -> 401;
                case 7 -> 403;
                case 5 -> 404;
                default -> 500;
            };
        }

        /** This result as JSON: code, status (name), message, responded, latencyMicros, trailers, replies. */
        public String json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("code", code);
            m.put("status", codeName());
            m.put("message", message);
            m.put("responded", responded);
            m.put("latencyMicros", latencyMicros);
            m.put("trailers", new Json.Raw(Json.object(trailers)));
            StringBuilder arr = new StringBuilder("[");
            for (HelloReply r : replies) {
                arr.append(arr.length() > 1 ? "," : "").append(replyJson(r));
            }
            m.put("replies", new Json.Raw(arr.append(']').toString()));
            return Json.object(m);
        }
    }

    /** One reply as the flat JSON object the HTTP side answers with (cluster, zone, pod, version, caller...). */
    public static String replyJson(HelloReply r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", r.getService());
        m.put("namespace", r.getNamespace());
        m.put("cluster", r.getCluster());
        m.put("zone", r.getZone());
        m.put("pod", r.getPod());
        m.put("version", r.getVersion());
        m.put("caller", r.getCaller());
        m.put("port", r.getPort());
        m.put("name", r.getName());
        m.put("seq", r.getSeq());
        return Json.object(m);
    }

    /** Unary {@code Hello} to {@code target} ({@code host:port}). */
    public Result hello(String target, String name, Duration timeout) {
        return call(target, DemoGrpc.getHelloMethod(), HelloRequest.newBuilder().setName(name).build(), timeout);
    }

    /** Server-streaming {@code Watch} of {@code count} answers, {@code interval} apart. */
    public Result watch(String target, int count, Duration interval, Duration timeout) {
        return call(target, DemoGrpc.getWatchMethod(),
                WatchRequest.newBuilder().setCount(count).setIntervalMs((int) interval.toMillis()).build(), timeout);
    }

    /** {@code Hello} as a load sample: status per {@link Result#httpStatus()}, body the reply's JSON. */
    public Caller.Result helloSample(String target, Duration timeout) {
        Result r = hello(target, "load", timeout);
        String body = r.replies().isEmpty() ? "" : replyJson(r.replies().get(0));
        String error = r.code() == 0 ? "" : "grpc-status " + r.code() + " " + r.codeName() + ": " + r.message();
        return new Caller.Result(r.httpStatus(), body, r.latencyMicros(), error);
    }

    private <Q, A extends HelloReply> Result call(String target, MethodDescriptor<Q, A> method, Q request, Duration timeout) {
        long start = System.nanoTime();
        ManagedChannel ch;
        try {
            ch = channel(target);
        } catch (IllegalArgumentException e) {
            return new Result(Status.Code.INVALID_ARGUMENT.value(), e.getMessage(), false, List.of(), Map.of(), 0);
        }
        ClientCall<Q, A> call = ch.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS));
        List<HelloReply> replies = new ArrayList<>();
        CompletableFuture<Result> done = new CompletableFuture<>();
        boolean[] headers = new boolean[1];
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata h) {
                headers[0] = true;
            }

            @Override
            public void onMessage(A message) {
                synchronized (replies) {
                    replies.add(message);
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                Map<String, String> t = new LinkedHashMap<>();
                for (String k : trailers.keys()) {
                    // a made-up status from a non-gRPC answer (a proxy's 503) carries its headers, :status included
                    if (!k.endsWith(Metadata.BINARY_HEADER_SUFFIX) && !k.startsWith(":")) {
                        try {
                            String v = trailers.get(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER));
                            if (v != null) {
                                t.put(k, v);
                            }
                        } catch (IllegalArgumentException e) {
                            t.put(k, "?"); // a name grpc-java refuses as a key; its presence is what counts
                        }
                    }
                }
                boolean answered = headers[0] || !trailers.keys().isEmpty();
                String msg = status.getDescription() != null ? status.getDescription()
                        : status.getCause() != null ? status.getCause().toString() : "";
                List<HelloReply> copy;
                synchronized (replies) {
                    copy = List.copyOf(replies);
                }
                done.complete(new Result(status.getCode().value(), msg, answered, copy, t,
                        (System.nanoTime() - start) / 1000));
            }
        }, new Metadata());
        call.request(Integer.MAX_VALUE);
        call.sendMessage(request);
        call.halfClose();
        try {
            return done.get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            call.cancel("no status in time", null);
            return new Result(Status.Code.DEADLINE_EXCEEDED.value(), "no status within " + timeout, false, replies, Map.of(),
                    (System.nanoTime() - start) / 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.cancel("interrupted", null);
            return new Result(Status.Code.CANCELLED.value(), "interrupted", false, List.of(), Map.of(), 0);
        }
    }

    private ManagedChannel channel(String target) {
        return channels.computeIfAbsent(target, t -> {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw new IllegalArgumentException("target '" + t + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("target '" + t + "' has no numeric port");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("target '" + t + "': port " + port + " is not in 1..65535");
            }
            return NettyChannelBuilder.forAddress(t.substring(0, colon), port).usePlaintext().disableRetry().build();
        });
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
