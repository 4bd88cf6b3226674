package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.errors.ErrorResponder;
import io.isthmus.sidecar.errors.ProxyFailure;
import io.isthmus.sidecar.errors.ResponseFlag;
import io.isthmus.sidecar.route.DirectResponse;
import io.isthmus.sidecar.route.HeaderMatch;
import io.isthmus.sidecar.route.RouteEntry;
import io.isthmus.sidecar.route.RouteTable;
import io.isthmus.sidecar.route.WeightedTarget;
import io.isthmus.sidecar.telemetry.NodeIdentity;
import io.isthmus.sidecar.telemetry.PeerMetadata;
import io.isthmus.sidecar.telemetry.RequestIds;
import io.isthmus.sidecar.telemetry.RequestRecord;
import io.isthmus.sidecar.tls.PeerIdentities;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.isthmus.sidecar.route.VirtualHostEntry;
import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One downstream HTTP request on its way through a listener's filter chain: request identity,
 * route lookup, RBAC, rate limit, CORS and fault injection (in the chain's order), cluster choice and
 * circuit breaker, then the {@link UpstreamCall} that does the attempts. Confined to the request's event loop.
 */
public final class HttpExchange {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpExchange.class);


    private final HttpServerRequest request;
    private final ListenerContext ctx;
    private final HttpChain chain;
    private final SocketAddress remote;
    private final SocketAddress local;
    /** The client as the connection manager trusts it: the peer, or an address of x-forwarded-for. */
    private String clientAddress = "";
    /** Envoy's internal request: the client address is internal, so it may steer the router with x-envoy-* headers. */
    private boolean internalRequest;
    private final long startNanos = System.nanoTime();
    /** Envoy's response flags in the order they were raised; null while there are none (most requests). */
    private Set<String> flags;
    private String requestId = "";
    private String traceparent = "";
    private String peerPrincipal = "";
    /** The verified SPIFFE ID of the downstream peer (the caller), empty when not mutual TLS. */
    private String downstreamPrincipal = "";
    private String routeName = "";
    /** The request's authority, lower case, as routed (null until read). */
    private String authority;
    private String clusterName = "";
    /** The last endpoint attempted, null before any. */
    private io.isthmus.sidecar.endpoint.EndpointAddress upstreamHost;
    /** The mesh cluster behind the last endpoint attempted, empty when not known. */
    private String upstreamCluster = "";
    private int attempts;
    private long requestBytes;
    private long responseBytes;
    private boolean finished;
    /** Whether this exchange paused the downstream request ({@link #pause()}). */
    private boolean paused;
    private UpstreamCluster cluster;
    /** The header mutations of the request's route or chosen target; null when it has none (most requests). */
    private RouteHeaders routeHeaders;
    /** The peer as its proxy described itself (the caller inbound, the callee outbound); UNKNOWN when it did not. */
    private NodeIdentity peerNode = NodeIdentity.UNKNOWN;
    /** The CORS headers of an allowed origin's responses; null when the request gets none (most requests). */
    private CorsFilter cors;

    private HttpExchange(HttpServerRequest request, ListenerContext ctx, HttpChain chain, SocketAddress remote,
                         SocketAddress local) {
        this.request = request;
        this.ctx = ctx;
        this.chain = chain;
        this.remote = remote;
        this.local = local;
    }

    /** Handles one request. */
    public static void handle(HttpServerRequest request, ListenerContext ctx, HttpChain chain) {
        handle(request, ctx, chain, request.remoteAddress(), request.localAddress());
    }

    /**
     * Handles one request whose connection came from {@code remote} to {@code local} (which differ from
     * the request's own addresses when a listener's front socket handed the connection over loopback).
     */
    public static void handle(HttpServerRequest request, ListenerContext ctx, HttpChain chain, SocketAddress remote,
                              SocketAddress local) {
        // Not paused here: the request's body handlers are set before this returns (no body byte can arrive
        // before that), except where the request waits (fault delay, streaming), which pauses it. A paused
        // request costs an inbound queue per request.
        new HttpExchange(request, ctx, chain, remote, local).start();
    }

    private void start() {
        peerPrincipal = peerIdentity();
        downstreamPrincipal = peerPrincipal;
        ForwardedHeaders forwarded = ForwardedHeaders.of(request, ctx, chain, remote);
        MultiMap headers = forwarded.headers();
        clientAddress = forwarded.clientAddress();
        internalRequest = forwarded.internal();
        if (chain.peerExchange().enabled()) {
            // the caller's claims never reach the app, nor an upstream; with downstream discovery they name the caller
            peerNode = PeerHeaders.take(headers, chain.peerExchange().downstreamDiscovery(), downstreamPrincipal);
        }
        requestId = RequestIds.ensure(headers);
        traceparent = headers.get(RequestIds.TRACEPARENT);
        request.response().closeHandler(v -> {
            // an HTTP/2 stream closes as its response ends: that is no downstream termination
            if (!finished && !request.response().ended()) {
                addFlagCode(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.code());
                finish(0);
            }
        });
        String authority = authority();
        this.authority = authority;
        String path = request.path() == null ? "/" : request.path();
        Optional<RouteTable> inline = chain.inlineRoutes();
        RouteTable table = inline.isPresent() ? inline.get() : ctx.directory().routeTable(chain.rdsName()).orElse(null);
        RouterHeaders.sanitize(headers, internalRequest, !internalRequest && chain.forwarded().useRemoteAddress(),
                table == null ? java.util.List.of() : table.internalOnlyHeaders());
        HeaderMatch.RequestView view = new HeaderMatch.RequestView(request.method().name(), authority, path,
                request.scheme() == null ? "http" : request.scheme(), request.headers());
        Optional<VirtualHostEntry> vhost = table == null ? Optional.empty() : table.virtualHost(authority);
        if (vhost.isPresent() && vhost.get().requireTls() != VirtualHostEntry.RequireTls.NONE && !request.isSSL()) {
            redirectToHttps(authority);
            return;
        }
        Optional<RouteEntry> route = vhost.isPresent() ? vhost.get().route(view) : Optional.empty();
        if (route.isEmpty()) {
            fail(ProxyFailure.of(ResponseFlag.NO_ROUTE_FOUND, "no route for " + authority + path));
            return;
        }
        RouteEntry r = route.get();
        routeName = r.name();
        // the weighted target is chosen with the route, as Envoy does: its response headers go on every local reply
        WeightedTarget target = r.pickTarget(ctx.random());
        routeHeaders = RouteHeaders.of(target == null ? r.headerMutations() : target.headerMutations(), this,
                clientAddress, remote, local, protocol(), startNanos);
        if (!chain.rbac().isEmpty() && !RbacPolicy.allowedByAll(chain.rbac(), rbacRequest(authority, headers))) {
            fail(ProxyFailure.of(ResponseFlag.RBAC_ACCESS_DENIED, "RBAC: access denied"));
            return;
        }
        if (chain.rateLimit().isPresent() && !chain.rateLimit().get().tryAcquire(clientAddress)) {
            ctx.telemetry().registry().counter("isthmus_downstream_rejected", "listener", ctx.listener(), "reason", "rate_limit")
                    .increment();
            addFlagCode(ResponseFlag.RATE_LIMITED.code());
            chain.rateLimit().get().reject(request.response(), flagsText(), replyHeaders());
            finish(ResponseFlag.RATE_LIMITED.status());
            return;
        }
        if (chain.cors() == HttpChain.Cors.BEFORE_FAULT && cors(r)) {
            return;
        }
        if (r.fault().isPresent()) {
            RouteEntry.FaultPolicy fault = r.fault().get();
            if (fault.abortStatus() > 0 && ctx.random().nextInt(1_000_000) < fault.abortPermille()) {
                int status = fault.abortStatus();
                fail(new ProxyFailure(ResponseFlag.FAULT_INJECTED, status >= 400 ? status : 503, "fault filter abort"));
                return;
            }
            if (!fault.delay().isZero() && ctx.random().nextInt(1_000_000) < fault.delayPermille()) {
                addFlagCode(ResponseFlag.DELAY_INJECTED.code());
                pause();
                ctx.vertx().setTimer(Math.max(1, fault.delay().toMillis()), id -> afterFault(r, target, headers, authority));
                return;
            }
        }
        afterFault(r, target, headers, authority);
    }

    /** The CORS filter when the chain has it after the fault filter, then the router. */
    private void afterFault(RouteEntry r, WeightedTarget target, MultiMap headers, String authority) {
        if (!finished && chain.cors() == HttpChain.Cors.AFTER_FAULT && cors(r)) {
            return;
        }
        route(r, target, headers, authority);
    }

    /** Envoy's CORS filter: answers a preflight (true), or keeps the CORS headers of an allowed origin's responses. */
    private boolean cors(RouteEntry r) {
        CorsFilter c = CorsFilter.decode(r.cors(), request, ctx.random());
        if (c != null && c.preflight()) {
            c.answer(request, request.response());
            finish(200);
            return true;
        }
        cors = c;
        return false;
    }

    /** Answers a direct response, or sends the request to its target (null for a direct response). */
    private void route(RouteEntry r, WeightedTarget target, MultiMap headers, String authority) {
        if (finished) {
            return;
        }
        if (r.directResponse().isPresent()) {
            DirectResponse d = r.directResponse().get();
            d.flag().ifPresent(f -> addFlagCode(f.code()));
            String location = d.redirect().map(rd -> rd.location(request.scheme() == null ? "http" : request.scheme(),
                    authority, request.path() == null ? "/" : request.path(), request.query(), r.path())).orElse(null);
            d.write(request.response(), flagsText(), replyHeaders(), location);
            finish(d.status());
            return;
        }
        clusterName = target.cluster();
        Optional<UpstreamCluster> c = ctx.directory().cluster(clusterName);
        if (c.isEmpty()) {
            fail(ProxyFailure.of(ResponseFlag.NO_CLUSTER_FOUND, "unknown cluster " + clusterName));
            return;
        }
        if (!c.get().tryStartRequest()) {
            fail(ProxyFailure.of(ResponseFlag.UPSTREAM_OVERFLOW, "upstream overflow: max requests of " + clusterName));
            return;
        }
        cluster = c.get();
        String uri = upstreamUri(r);
        String upstreamAuthority = r.hostRewrite().isEmpty() ? authority : r.hostRewrite();
        RouterHeaders.Decision decision = RouterHeaders.consume(r, headers);
        if (routeHeaders != null) {
            routeHeaders.request(headers); // after the router read its headers, before any attempt or mirror copies them
        }
        RequestHash hash = cluster.config().lbPolicy().consistentHashing() && !r.hashPolicy().isEmpty()
                ? new RequestHash(r.hashPolicy(), request, headers, authority, clientAddress, remote, local) : null;
        UpstreamCall call = new UpstreamCall(this, ctx, cluster, r, decision, headers, uri, upstreamAuthority, hash);
        HostAndPort hp = request.authority();
        if (r.hostRewrite().isEmpty() && hp != null && hp.port() != 0 && hp.host().indexOf(':') < 0
                && hp.host().toLowerCase(Locale.ROOT) == hp.host()) {
            call.upstreamAuthority(hp); // what parsing the authority routed would give again
        }
        call.armRouteTimeout();
        long contentLength = contentLength();
        // a body larger than the route's buffer limit streams; so does one of unknown length: chunked HTTP/1.1 or
        // HTTP/2 DATA frames that are still to come (replayed, and mirrored once ended, while within the limit), or
        // any on a route without retries or mirrors
        boolean unknownLength = contentLength < 0 && request.version() != HttpVersion.HTTP_1_0;
        boolean streaming = isGrpc() || contentLength > r.retryBufferLimit(ctx.maxBufferedBody())
                || (unknownLength && ((!decision.retry().enabled() && r.mirrors().isEmpty()) || isChunked()
                        || (request.version() == HttpVersion.HTTP_2 && !request.isEnded())));
        for (int i = 0, n = r.mirrors().size(); i < n; i++) {
            RouteEntry.MirrorPolicy m = r.mirrors().get(i);
            // a streamed body of known length is past the limit: no mirror; one of unknown length is mirrored at its end
            if ((!streaming || contentLength < 0) && ctx.random().nextInt(1_000_000) < m.permille()) {
                call.mirrorTo(m.cluster());
            }
        }
        if (streaming) {
            pause(); // until an attempt is attached
            call.startStreaming(request);
            return;
        }
        Buffer body = Buffer.buffer();
        request.handler(chunk -> {
            if (body.length() + chunk.length() > ctx.maxBufferedBody()) {
                request.handler(null);
                fail(new ProxyFailure(ResponseFlag.DOWNSTREAM_PROTOCOL_ERROR, 413, "request body too large"));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(t -> {
            if (!finished) {
                addFlagCode(ResponseFlag.DOWNSTREAM_CONNECTION_TERMINATION.code());
                call.cancel();
                finish(0);
            }
        });
        request.endHandler(v -> {
            if (!finished) {
                requestBytes = body.length();
                call.startBuffered(body);
            }
        });
        if (request.isEnded()) {
            request.handler(null).endHandler(null);
            resume();
            call.startBuffered(body);
            return;
        }
        resume();
    }

    /** Pauses the downstream request (its body waits). */
    private void pause() {
        if (!paused) {
            paused = true;
            request.pause();
        }
    }

    /** Resumes the downstream request when this exchange paused it. */
    private void resume() {
        if (paused) {
            paused = false;
            request.resume();
        }
    }

    private boolean isChunked() {
        String te = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
        return request.version() == HttpVersion.HTTP_1_1 && te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    private boolean isGrpc() {
        String ct = request.getHeader(HttpHeaders.CONTENT_TYPE);
        return ct != null && ct.startsWith("application/grpc");
    }

    private long contentLength() {
        String cl = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private String upstreamUri(RouteEntry r) {
        String path = request.path() == null ? "/" : request.path();
        if (r.regexRewrite().isPresent()) {
            path = r.regexRewrite().get().apply(path);
        } else if (!r.prefixRewrite().isEmpty()) {
            path = r.path().replaceMatched(path, r.prefixRewrite());
        }
        String q = request.query();
        return q == null ? path : path + "?" + q;
    }

    private String authority() {
        HostAndPort hp = request.authority();
        if (hp == null) {
            return "";
        }
        String host = hp.host().toLowerCase(Locale.ROOT);
        if (hp.port() <= 0) {
            return host;
        }
        // HTTP/1.1's Host header usually is that text already (lower case, no default port dropped): no new string
        String raw = request.version() == HttpVersion.HTTP_2 ? null : request.headers().get(HttpHeaders.HOST);
        return raw != null && isHostPort(raw, host, hp.port()) ? raw : host + ":" + hp.port();
    }

    /** Whether {@code s} is exactly {@code host:port} (port in decimal without leading zeros). */
    private static boolean isHostPort(String s, String host, int port) {
        int h = host.length();
        if (s.length() <= h + 1 || !s.startsWith(host) || s.charAt(h) != ':' || s.charAt(h + 1) == '0') {
            return false;
        }
        int v = 0;
        for (int i = h + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9' || i - h > 5) {
                return false;
            }
            v = v * 10 + (c - '0');
        }
        return v == port;
    }

    /** {@code require_tls}: a plaintext request is sent to the same URL over https (301). */
    private void redirectToHttps(String authority) {
        String host = request.authority() == null ? authority : request.authority().host();
        String location = "https://" + host + (request.uri() == null || request.uri().isEmpty() ? "/" : request.uri());
        request.response().setStatusCode(301).putHeader("location", location).putHeader("server", "isthmus").end();
        finish(301);
    }

    /**
     * The peer metadata exchange on a response to the downstream: the upstream's headers are taken off (with upstream
     * discovery, a callee of the mesh is known by them, {@code upstreamPrincipal} its verified SPIFFE ID); with
     * downstream propagation, a caller of the mesh is told who answers.
     */
    void peerResponse(MultiMap response, String upstreamPrincipal) {
        PeerExchange pe = chain.peerExchange();
        if (!pe.enabled()) {
            return;
        }
        NodeIdentity upstream = PeerHeaders.take(response, pe.upstreamDiscovery(), upstreamPrincipal);
        if (upstream != NodeIdentity.UNKNOWN) {
            peerNode = upstream;
        }
        tellDownstream(response);
    }

    /** Downstream propagation: a caller of the mesh is told who answers. */
    private void tellDownstream(MultiMap response) {
        PeerMetadata own = ctx.telemetry().ownPeerMetadata();
        if (chain.peerExchange().downstreamPropagation() && !downstreamPrincipal.isEmpty() && own.present()) {
            PeerHeaders.tell(response, own);
        }
    }

    /** Whether the chain tells upstreams who calls (upstream propagation), and this proxy has something to tell. */
    boolean tellsUpstream() {
        return chain.peerExchange().upstreamPropagation() && ctx.telemetry().ownPeerMetadata().present();
    }

    /** Upstream propagation: an upstream reached over the mesh's mutual TLS is told who calls. */
    void tellUpstream(MultiMap request) {
        PeerHeaders.tell(request, ctx.telemetry().ownPeerMetadata());
    }

    private String peerIdentity() {
        return request.isSSL() ? PeerIdentities.of(request.connection()).principal() : "";
    }

    private RbacRequest rbacRequest(String authority, MultiMap headers) {
        InetAddress src = null;
        InetAddress dst = null;
        try {
            if (remote != null && remote.hostAddress() != null) {
                src = InetAddress.getByName(remote.hostAddress());
            }
            if (local != null && local.hostAddress() != null) {
                dst = InetAddress.getByName(local.hostAddress());
            }
        } catch (Exception e) {
            // addresses stay unknown; IP rules then do not match
        }
        int port = local == null ? 0 : local.port();
        String sni = request.isSSL() && request.connection().indicatedServerName() != null
                ? request.connection().indicatedServerName() : "";
        return new RbacRequest(peerPrincipal, src, dst, port, sni, request.method().name(), request.uri(), authority,
                headers);
    }

    // ---- called by UpstreamCall ----

    HttpServerRequest request() {
        return request;
    }

    /** The original destination of the downstream connection (its local address, or the captured one). */
    SocketAddress originalDestination() {
        return local;
    }

    boolean finished() {
        return finished;
    }

    /** Whether the router sets its x-envoy-* response headers on this listener. */
    HttpChain.EnvoyHeaders envoyHeaders() {
        return chain.envoyHeaders();
    }

    void addFlag(ResponseFlag flag) {
        addFlagCode(flag.code());
    }

    /** The header mutations of the request's route; null when it has none. */
    RouteHeaders routeHeaders() {
        return routeHeaders;
    }

    /** Adds the CORS headers of an allowed origin's request to a response's headers, if it gets any. */
    void corsHeaders(MultiMap headers) {
        if (cors != null) {
            cors.accept(headers);
        }
    }

    /**
     * The response headers of a reply the proxy writes itself: the route's mutation, the CORS headers and, where the
     * chain propagates peer metadata downstream, this proxy's; null when there are none.
     */
    private java.util.function.Consumer<MultiMap> replyHeaders() {
        boolean tell = chain.peerExchange().downstreamPropagation() && !downstreamPrincipal.isEmpty();
        if (cors == null && !tell) {
            return routeHeaders == null ? null : routeHeaders::response;
        }
        return h -> {
            if (routeHeaders != null) {
                routeHeaders.response(h);
            }
            if (cors != null) {
                cors.accept(h);
            }
            if (tell) {
                tellDownstream(h);
            }
        };
    }

    /** The endpoint of the last attempt, {@code ip:port}; empty before the first. */
    String upstreamAddress() {
        return upstreamHost == null ? "" : upstreamHost.toString();
    }

    void attempted(io.isthmus.sidecar.endpoint.Endpoint endpoint) {
        attempts++;
        upstreamHost = endpoint.address();
        upstreamCluster = endpoint.clusterId();
    }

    void peer(String principal) {
        if (ctx.direction() == Direction.OUTBOUND) {
            peerPrincipal = principal;
        }
    }

    void addRequestBytes(long n) {
        requestBytes += n;
    }

    void addResponseBytes(long n) {
        responseBytes += n;
    }

    /** Answers locally with the failure (when nothing was sent yet) and finishes. */
    void fail(ProxyFailure failure) {
        if (finished) {
            return;
        }
        addFlagCode(failure.flag().code());
        ErrorResponder.respond(request.response(), failure, flagsText(), replyHeaders());
        finish(failure.status());
    }

    /** Reports the request once it is done. */
    void finish(int status) {
        if (finished) {
            return;
        }
        finished = true;
        if (!request.isEnded()) {
            // drain what is left of the request so the connection can read the next one
            request.handler(null).endHandler(null).exceptionHandler(null);
            request.resume();
        }
        if (cluster != null) {
            cluster.endRequest();
        }
        int sent = status != 0 ? status : request.response().headWritten() ? request.response().getStatusCode() : 0;
        try {
            report(sent);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("telemetry failed [{} {}]: {}", ctx.listener(), clusterName, e.toString());
        }
    }

    /** The downstream protocol as Envoy names it. */
    private String protocol() {
        return request.version() == HttpVersion.HTTP_2 ? "HTTP/2" : request.version() == HttpVersion.HTTP_1_0
                ? "HTTP/1.0" : "HTTP/1.1";
    }

    private void report(int sent) {
        String protocol = protocol();
        // the two addresses only the access log shows are not rendered when it is off
        boolean logged = ctx.telemetry().accessLogEnabled();
        String remote = this.remote == null || !logged ? "" : this.remote.toString();
        String upstreamHost = this.upstreamHost == null || !logged ? "" : this.upstreamHost.toString();
        ctx.telemetry().record(new RequestRecord(ctx.direction().label(), ctx.listener(), request.method().name(),
                authority != null ? authority : authority(), request.uri(), protocol, sent, flagsText(), routeName, clusterName, upstreamHost, attempts,
                Math.max(requestBytes, request.bytesRead()), responseBytes, (System.nanoTime() - startNanos) / 1e6, requestId, traceparent,
                peerPrincipal, remote, isGrpc(), downstreamPrincipal, upstreamCluster, peerNode, inboundService()));
    }

    /** The service an inbound request was for (its cluster's, {@link io.isthmus.sidecar.cluster.ClusterConfig#serviceFor}). */
    private String inboundService() {
        return ctx.direction() != Direction.INBOUND || cluster == null ? ""
                : cluster.config().serviceFor(authority == null ? "" : authority);
    }

    String flagsText() {
        return flags == null ? "-" : String.join(",", flags);
    }

    private void addFlagCode(String code) {
        if (flags == null) {
            flags = new LinkedHashSet<>();
        }
        flags.add(code);
    }
}
