package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.telemetry.PeerMetadata;
import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.errors.FailureClassifier;
import io.isthmus.sidecar.errors.ProxyFailure;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.route.RouteEntry;
import io.isthmus.sidecar.tls.PeerIdentities;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.HostAndPort;
import java.util.HashSet;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The upstream side of one request: picks endpoints, sends attempts, applies per-try and route
 * timeouts, retries with backoff on the conditions of the route's retry policy (avoiding endpoints
 * already tried, which moves a retry to the next priority when the current one has no other
 * available endpoint), feeds outlier detection, and relays the chosen response with backpressure.
 * Confined to the request's event loop.
 */
final class UpstreamCall {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade", "te", "trailer", "http2-settings");

    private final HttpExchange exchange;
    private final ListenerContext ctx;
    private final UpstreamCluster cluster;
    private final RetryState retry;
    private final java.time.Duration timeout;
    /** 504, or 204 when the caller sent x-envoy-upstream-rq-timeout-alt-response. */
    private final int timeoutStatus;
    /** Most request body bytes held for a retry or a mirror (the route's per_request_buffer_limit_bytes). */
    private final long bufferLimit;
    private final MultiMap headers;
    private final String uri;
    private final String authority;
    /** The request's hash for a consistent-hash cluster, null for other clusters or routes without a hash policy. */
    private final RequestHash hash;
    /** Endpoints attempted before the last one (a set is made only for a retry). */
    private Set<Endpoint> tried = Set.of();
    /** The endpoint of the last attempt, null before the first. */
    private Endpoint lastTried;
    /** Clusters that get a copy of the request; null while none (most requests). */
    private java.util.List<String> mirrors;
    /** The upstream authority parsed, or null to parse {@link #authority} when an attempt is sent. */
    private HostAndPort upstreamAuthority;
    private Buffer body;
    /** Streaming only: the downstream body and its replay copy. */
    private StreamedBody streamed;
    private long routeTimer = -1;
    /** The route timeout as a task of the request's event loop (instead of {@link #routeTimer}), null when none. */
    private io.netty.util.concurrent.ScheduledFuture<?> routeTimeoutTask;
    /** When the whole request had been read (System.nanoTime), 0 while it has not. */
    private long requestCompleteNanos;
    private Attempt current;
    /** Attempts sent so far (Envoy's x-envoy-attempt-count of the current one). */
    private int attempts;
    private final RouteEntry.AttemptCount attemptCount;
    /** Envoy's x-envoy-expected-rq-timeout-ms for each attempt, null when none is sent. */
    private final String expectedTimeoutMs;
    /** Response body bytes relayed to the client. */
    private long relayedBytes;
    private boolean responding;

    UpstreamCall(HttpExchange exchange, ListenerContext ctx, UpstreamCluster cluster, RouteEntry route,
                 RouterHeaders.Decision decision, MultiMap headers, String uri, String authority, RequestHash hash) {
        this.exchange = exchange;
        this.ctx = ctx;
        this.cluster = cluster;
        this.retry = new RetryState(decision.retry());
        this.timeout = decision.timeout();
        this.timeoutStatus = decision.timeoutStatus();
        this.bufferLimit = route.retryBufferLimit(ctx.maxBufferedBody());
        this.headers = headers;
        this.uri = uri;
        this.authority = authority;
        this.hash = hash;
        this.attemptCount = route.attemptCount();
        this.expectedTimeoutMs = expectedTimeout(exchange.envoyHeaders(), decision, headers);
    }

    /**
     * Envoy's {@code x-envoy-expected-rq-timeout-ms}: the per-try timeout when there is one, else the route timeout;
     * none without a timeout, when the router's {@code suppress_envoy_headers} is set, or when an (internal) caller
     * already sent one, which goes on as it is.
     */
    private static String expectedTimeout(HttpChain.EnvoyHeaders envoy, RouterHeaders.Decision decision, MultiMap headers) {
        if (envoy != HttpChain.EnvoyHeaders.SET || headers.contains(RouterHeaders.EXPECTED_TIMEOUT_MS)) {
            return null;
        }
        long ms = decision.retry().perTryTimeout().map(java.time.Duration::toMillis).orElse(0L);
        if (ms <= 0) {
            ms = decision.timeout().toMillis();
        }
        return ms > 0 ? Long.toString(ms) : null;
    }

    /**
     * Sends the whole buffered request, retrying as the policy allows; a body past the route's buffer
     * limit is sent once, neither retried nor mirrored (Envoy abandons retries and shadows then).
     */
    void startBuffered(Buffer requestBody) {
        this.body = requestBody;
        requestCompleteNanos = System.nanoTime();
        if (requestBody.length() > bufferLimit) {
            retry.abandon();
            mirrors = null;
        }
        if (mirrors != null) {
            for (String m : mirrors) {
                ctx.directory().cluster(m).ifPresent(c -> UpstreamRequests.mirror(c, exchange.request().method(), uri,
                        headers, authority, body, mirrorTells()));
            }
        }
        attempt(false);
    }

    /**
     * Streams the request body (gRPC, large or unbounded bodies) while keeping a replay copy up to
     * the buffer limit, so an attempt that fails before any response reaches the client can be
     * retried like a buffered one; past the limit, or once a response is relayed, no retry.
     */
    void startStreaming(HttpServerRequest downstream) {
        streamed = new StreamedBody(downstream, retry.enabled() || mirrors != null ? bufferLimit : 0);
        if (mirrors != null) {
            // a body of unknown length is mirrored once it has ended, if it stayed within the buffer limit (as Envoy,
            // which gives up a shadow whose body it could not buffer)
            streamed.onEnded(() -> {
                Buffer whole = streamed.whole();
                if (whole != null && !exchange.finished()) {
                    for (String m : mirrors) {
                        ctx.directory().cluster(m).ifPresent(c -> UpstreamRequests.mirror(c, exchange.request().method(), uri,
                                headers, authority, whole, mirrorTells()));
                    }
                }
            });
        }
        streamed.start(() -> {
            if (!exchange.finished()) {
                exchange.addFlag(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION);
                cancel();
                exchange.finish(0);
            }
        });
        attempt(false);
    }

    /** The upstream authority already parsed (what {@link HostAndPort#parseAuthority} makes of it), to skip parsing it. */
    void upstreamAuthority(HostAndPort parsed) {
        this.upstreamAuthority = parsed;
    }

    /** Also sends a copy of the buffered request to another cluster, ignoring its answer. */
    void mirrorTo(String mirrorCluster) {
        if (mirrors == null) {
            mirrors = new java.util.ArrayList<>(1);
        }
        mirrors.add(mirrorCluster);
    }

    /** Abandons the call (downstream went away). */
    void cancel() {
        cancelTimer();
        if (current != null && current.request != null) {
            current.request.reset();
        }
    }

    /**
     * Starts the route timeout, which covers reading the request body, all attempts and backoffs. On an
     * event loop it is a task of that loop run in the request's context (a Vert.x timer costs a registry
     * entry, a boxed id and a close hook per request, for a timeout that almost never fires).
     */
    void armRouteTimeout() {
        if (timeout.isZero()) {
            return;
        }
        long ms = Math.max(1, timeout.toMillis());
        ContextInternal c = ContextInternal.current();
        if (c != null && c.isEventLoopContext() && c.inThread()) {
            routeTimeoutTask = c.nettyEventLoop().schedule(() -> c.dispatch((Runnable) this::routeTimedOut), ms,
                    TimeUnit.MILLISECONDS);
        } else {
            routeTimer = ctx.vertx().setTimer(ms, id -> routeTimedOut());
        }
    }

    private void routeTimedOut() {
        routeTimer = -1;
        routeTimeoutTask = null;
        if (responding || exchange.finished()) {
            return;
        }
        Attempt a = current;
        if (a != null && !a.done) {
            a.done = true;
            a.endpoint.state().requestEnded();
            if (a.timer >= 0) {
                ctx.vertx().cancelTimer(a.timer);
            }
            if (a.isRetry) {
                cluster.endRetry();
            }
            if (a.request != null) {
                a.request.reset();
            }
        }
        exchange.fail(new ProxyFailure(ResponseFlag.UPSTREAM_REQUEST_TIMEOUT, timeoutStatus, "upstream request timeout"));
    }

    private void cancelTimer() {
        if (routeTimer >= 0) {
            ctx.vertx().cancelTimer(routeTimer);
            routeTimer = -1;
        }
        if (routeTimeoutTask != null) {
            routeTimeoutTask.cancel(false);
            routeTimeoutTask = null;
        }
    }

    private void attempt(boolean isRetry) {
        if (lastTried != null) {
            Set<Endpoint> more = new HashSet<>(tried);
            more.add(lastTried);
            tried = more;
            lastTried = null;
        }
        Endpoint ep = exchange.finished() ? null : cluster.choose(retry.policy().avoidPreviousHosts() ? tried : Set.of(),
                exchange.originalDestination(), hash == null ? OptionalLong.empty() : hash.hash());
        if (ep == null) {
            if (isRetry) {
                cluster.endRetry();
            }
            exchange.fail(ProxyFailure.of(ResponseFlag.NO_HEALTHY_UPSTREAM, "no healthy upstream"));
            cancelTimer();
            return;
        }
        lastTried = ep;
        attempts++;
        Attempt a = new Attempt(ep);
        a.isRetry = isRetry;
        current = a;
        ep.state().requestStarted();
        exchange.attempted(ep);
        retry.policy().perTryTimeout().ifPresent(t -> a.timer = ctx.vertx().setTimer(Math.max(1, t.toMillis()), id -> {
            a.timer = -1;
            if (!a.done && !a.responded) {
                // the outcome first: resetting first would fail the attempt as a reset (UR) instead of a timeout (UT)
                HttpClientRequest timedOut = a.request;
                onResult(a, Future.failedFuture(new TimeoutException("per-try timeout")));
                if (timedOut != null) {
                    timedOut.reset(0, new TimeoutException("per-try timeout"));
                }
            }
        }));
        Future<HttpClientRequest> requested;
        try {
            requested = cluster.client(ep).request(options(ep));
        } catch (RuntimeException e) {
            // a client that cannot take requests (e.g. closed under the cluster) fails this attempt, as a connect
            // failure would, instead of leaving the downstream request waiting for ever
            requested = Future.failedFuture(e);
        }
        requested.onComplete(rar -> {
            if (rar.failed()) {
                onResult(a, Future.failedFuture(rar.cause()));
                return;
            }
            HttpClientRequest creq = rar.result();
            a.request = creq;
            if (a.done) {
                creq.reset();
                return;
            }
            prepare(creq, a.endpoint);
            if (streamed != null) {
                // the response callback is attached before anything is sent, so no event of it is missed
                creq.response().onComplete(ar -> onResult(a, ar));
                streamed.attach(creq);
                return;
            }
            // the response callback is attached in the same turn as the send, so no event of it is missed
            creq.send(body).onComplete(ar -> onResult(a, ar));
        });
    }

    private void prepare(HttpClientRequest creq, Endpoint endpoint) {
        MultiMap sent = creq.headers();
        headers.forEach(sent::add); // addAll would first list the entries, each wrapped in a new object
        if (exchange.tellsUpstream() && UpstreamRequests.meshMtls(cluster, endpoint)) {
            exchange.tellUpstream(sent);
        }
        if (expectedTimeoutMs != null) {
            sent.set(RouterHeaders.EXPECTED_TIMEOUT_MS, expectedTimeoutMs);
        }
        if (attemptCount.request()) {
            sent.set(RouterHeaders.ATTEMPT_COUNT, RouterHeaders.attemptCount(attempts));
        }
        cluster.onRequestSent(creq);
        HostAndPort hp = upstreamAuthority;
        if (hp == null) {
            hp = HostAndPort.parseAuthority(authority, -1);
            upstreamAuthority = hp;
        }
        if (hp != null) {
            creq.authority(hp);
        }
    }

    private RequestOptions options(Endpoint ep) {
        return UpstreamRequests.options(cluster, ep, exchange.request().method(), uri);
    }

    private void onResult(Attempt a, AsyncResult<HttpClientResponse> ar) {
        if (a.done) {
            if (ar.succeeded()) {
                ar.result().request().reset();
            }
            return;
        }
        a.done = true;
        if (a.timer >= 0) {
            ctx.vertx().cancelTimer(a.timer);
        }
        if (a.isRetry) {
            cluster.endRetry();
        }
        if (exchange.finished()) {
            a.endpoint.state().requestEnded();
            if (ar.succeeded()) {
                ar.result().request().reset();
            }
            return;
        }
        if (ar.failed()) {
            a.endpoint.state().requestEnded();
            ResponseFlag flag = FailureClassifier.classify(ar.cause());
            if (flag != ResponseFlag.UPSTREAM_OVERFLOW) {
                cluster.record(a.endpoint, EndpointState.Outcome.LOCAL_FAILURE);
            }
            boolean retriable = retry.retriesFailure(flag, ar.cause());
            if (retriable && replayable() && scheduleRetry(() -> abandon(a, null))) {
                return;
            }
            cancelTimer();
            if (retriable && retry.done() > 0) {
                exchange.addFlag(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
            }
            String detail = switch (flag) {
                case UPSTREAM_CONNECTION_FAILURE -> "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
                case UPSTREAM_REQUEST_TIMEOUT -> "upstream request timeout";
                case UPSTREAM_OVERFLOW -> "upstream connect error or disconnect/reset before headers. reset reason: overflow";
                default -> "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
            };
            exchange.fail(flag == ResponseFlag.UPSTREAM_REQUEST_TIMEOUT ? new ProxyFailure(flag, timeoutStatus, detail)
                    : ProxyFailure.of(flag, detail));
            return;
        }
        HttpClientResponse resp = ar.result();
        int status = resp.statusCode();
        int grpcStatus = GrpcStatus.of(resp.headers());
        if (grpcStatus >= 0 && status == 200) {
            record(a, GrpcStatus.toHttp(grpcStatus)); // trailers-only gRPC answer
        } else if (status == 200 && isGrpc(resp)) {
            a.outcomeAtEnd = true; // the gRPC status comes in the trailers
        } else {
            record(a, status);
        }
        if (retry.retriesResponse(status, grpcStatus) && replayable() && scheduleRetry(() -> {
            a.endpoint.state().requestEnded();
            abandon(a, resp);
        })) {
            return;
        }
        if (retry.retriesResponse(status, grpcStatus) && retry.done() > 0) {
            exchange.addFlag(ResponseFlag.UPSTREAM_RETRY_LIMIT_EXCEEDED);
        }
        cancelTimer();
        relay(a, resp);
    }

    private void record(Attempt a, int status) {
        cluster.record(a.endpoint, status >= 500
                ? (status == 502 || status == 503 || status == 504 ? EndpointState.Outcome.GATEWAY_ERROR
                        : EndpointState.Outcome.SERVER_ERROR)
                : EndpointState.Outcome.SUCCESS);
    }

    private static boolean isGrpc(HttpClientResponse resp) {
        String ct = resp.getHeader(HttpHeaders.CONTENT_TYPE);
        return ct != null && ct.startsWith("application/grpc");
    }

    /** True when the request can be sent again: buffered, or streamed with its whole replay copy held. */
    private boolean replayable() {
        return body != null || (streamed != null && streamed.replayable());
    }

    /** Lets go of an attempt that will be retried: the downstream waits for the next one. */
    private void abandon(Attempt a, HttpClientResponse resp) {
        if (streamed == null || (resp != null && streamed.sentWhole())) {
            if (resp != null) {
                resp.body();
            }
        } else if (a.request != null) {
            a.request.reset();
        }
        if (streamed != null) {
            streamed.detach();
        }
    }

    /** Starts the next attempt after a backoff, first letting go of the failed one; false when no retry is left. */
    private boolean scheduleRetry(Runnable abandonFailed) {
        if (retry.exhausted() || exchange.finished() || !cluster.tryStartRetry()) {
            return false;
        }
        abandonFailed.run();
        long delay = retry.nextBackoff(ctx.random());
        Runnable go = () -> attempt(true);
        if (delay == 0) {
            go.run();
        } else {
            ctx.vertx().setTimer(delay, id -> go.run());
        }
        return true;
    }

    private void relay(Attempt a, HttpClientResponse resp) {
        responding = true;
        a.responded = true;
        if (streamed != null) {
            streamed.commit(); // a response reaches the client: no retry from here on
        }
        String upstreamPeer = peerOf(resp);
        HttpServerRequest req = exchange.request();
        HttpServerResponse out = req.response();
        if (out.ended() || out.closed()) {
            a.endpoint.state().requestEnded();
            resp.request().reset();
            return;
        }
        out.setStatusCode(resp.statusCode());
        if (resp.statusMessage() != null && req.version() != HttpVersion.HTTP_2) {
            out.setStatusMessage(resp.statusMessage());
        }
        MultiMap relayed = out.headers();
        resp.headers().forEach((key, value) -> {
            String n = key.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(n)) {
                relayed.add(n, value);
            }
        });
        serviceTime(out);
        exchange.peerResponse(relayed, upstreamPeer);
        RouteHeaders routeHeaders = exchange.routeHeaders();
        if (routeHeaders != null) {
            routeHeaders.response(relayed); // after the router's own headers, as Envoy: it may remove or overwrite them
        }
        exchange.corsHeaders(relayed); // the CORS filter encodes the response after the router
        if (hash != null) {
            hash.addCookies(relayed);
        }
        if (attemptCount.response()) {
            out.headers().set(RouterHeaders.ATTEMPT_COUNT, RouterHeaders.attemptCount(attempts));
        }
        boolean bodyless = resp.statusCode() == 204 || resp.statusCode() == 304 || resp.statusCode() < 200
                || "HEAD".equals(req.method().name());
        if (!bodyless && out.headers().get(HttpHeaders.CONTENT_LENGTH) == null && req.version() != HttpVersion.HTTP_2) {
            out.setChunked(true);
        }
        long length = bodyless || resp.version() == HttpVersion.HTTP_2 ? -1 : declaredLength(resp);
        resp.handler(chunk -> {
            exchange.addResponseBytes(chunk.length());
            relayedBytes += chunk.length();
            if (relayedBytes == length) {
                // the last bytes of an HTTP/1.x body framed by content-length: its end (never with trailers) comes
                // next in the same read, so the chunk and the end go out as one write
                out.end(chunk);
                return;
            }
            out.write(chunk);
            if (out.writeQueueFull()) {
                resp.pause();
                out.drainHandler(v -> resp.resume());
            }
        });
        resp.exceptionHandler(t -> {
            a.endpoint.state().requestEnded();
            cluster.record(a.endpoint, EndpointState.Outcome.LOCAL_FAILURE);
            exchange.addFlag(ResponseFlag.UPSTREAM_REMOTE_RESET);
            if (!out.ended()) {
                out.reset();
            }
            exchange.finish(resp.statusCode());
        });
        resp.endHandler(v -> {
            a.endpoint.state().requestEnded();
            MultiMap trailers = resp.trailers();
            if (a.outcomeAtEnd) {
                int g = GrpcStatus.of(trailers);
                record(a, g < 0 ? 200 : GrpcStatus.toHttp(g));
            }
            if (!out.ended()) {
                if (trailers != null && !trailers.isEmpty()) {
                    out.trailers().addAll(trailers);
                }
                out.end();
            }
            exchange.finish(resp.statusCode());
        });
    }

    /** The response's content-length, or -1 when it has none or not exactly one valid value. */
    private static long declaredLength(HttpClientResponse resp) {
        String cl = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl == null || cl.isEmpty() || cl.length() > 18) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < cl.length(); i++) {
            char c = cl.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /**
     * Envoy's {@code x-envoy-upstream-service-time}: milliseconds from the end of the downstream request
     * to the upstream's response headers, retries included; only when the request had ended by then.
     */
    private void serviceTime(HttpServerResponse out) {
        long complete = streamed != null ? streamed.endedNanos() : requestCompleteNanos;
        if (complete != 0 && exchange.envoyHeaders() == HttpChain.EnvoyHeaders.SET) {
            out.headers().set(RouterHeaders.SERVICE_TIME, Long.toString((System.nanoTime() - complete) / 1_000_000));
        }
    }

    /** The upstream's verified SPIFFE ID (empty when not mutual TLS), which the exchange takes as its peer. */
    private String peerOf(HttpClientResponse resp) {
        String id = PeerIdentities.of(resp.request().connection()).spiffeId();
        exchange.peer(id);
        return id;
    }

    /** What a mirror is told about this proxy: its peer metadata where the chain tells upstreams, else nothing. */
    private PeerMetadata mirrorTells() {
        return exchange.tellsUpstream() ? ctx.telemetry().ownPeerMetadata() : PeerMetadata.NONE;
    }
}
