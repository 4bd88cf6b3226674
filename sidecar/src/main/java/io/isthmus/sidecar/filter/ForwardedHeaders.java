package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.tls.PeerIdentities;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.Locale;
import java.util.Set;

/**
 * The request headers a connection manager passes upstream, as Envoy's connection manager mutates
 * them: hop-by-hop headers dropped, {@code x-forwarded-client-cert} per
 * {@code forward_client_cert_details} (inbound), {@code x-forwarded-for}/{@code -proto} and
 * {@code x-envoy-external-address} per {@code use_remote_address}; and what that decides: the
 * trusted client address and whether the request is internal. Built on the request's event loop.
 */
final class ForwardedHeaders {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "upgrade", "te", "host", "http2-settings", "trailer");
    private static final String XFCC = "x-forwarded-client-cert";
    private static final String XFF = "x-forwarded-for";
    private static final String XFP = "x-forwarded-proto";
    private static final String EXTERNAL_ADDRESS = "x-envoy-external-address";

    private final HttpServerRequest request;
    private final ListenerContext ctx;
    private final HttpChain chain;
    private final SocketAddress remote;
    private final MultiMap headers;
    /** The client as the connection manager trusts it: the peer, or an address of x-forwarded-for. */
    private String clientAddress = "";
    /** Envoy's internal request: its client may steer the router with x-envoy-* headers. */
    private boolean internal;

    private ForwardedHeaders(HttpServerRequest request, ListenerContext ctx, HttpChain chain, SocketAddress remote) {
        this.request = request;
        this.ctx = ctx;
        this.chain = chain;
        this.remote = remote;
        this.headers = forward();
    }

    /** The headers to send upstream for a request whose connection came from {@code remote}. */
    static ForwardedHeaders of(HttpServerRequest request, ListenerContext ctx, HttpChain chain, SocketAddress remote) {
        return new ForwardedHeaders(request, ctx, chain, remote);
    }

    /** The headers to send upstream (mutable: later filters and the router still change them). */
    MultiMap headers() {
        return headers;
    }

    /** The trusted client address (empty when unknown). */
    String clientAddress() {
        return clientAddress;
    }

    /** True when the request is internal (Envoy's rule; see {@link InternalAddresses}). */
    boolean internal() {
        return internal;
    }

    private MultiMap forward() {
        MultiMap out = HttpHeaders.headers();
        MultiMap in = request.headers();
        Set<String> connectionTokens = Set.of();
        if (in.contains(HttpHeaders.CONNECTION)) {
            connectionTokens = new java.util.HashSet<>();
            for (String c : in.getAll(HttpHeaders.CONNECTION)) {
                for (String t : c.split(",")) {
                    connectionTokens.add(t.trim().toLowerCase(Locale.ROOT));
                }
            }
        }
        Set<String> tokens = connectionTokens;
        // forEach, not an iterator: a header map's iterator wraps every entry in a new object
        in.forEach((key, value) -> {
            String name = key.toLowerCase(Locale.ROOT);
            if (name.equals("te") && "trailers".equalsIgnoreCase(value.trim())) {
                out.add(name, value);
                return;
            }
            if (HOP_BY_HOP.contains(name) || tokens.contains(name) || name.startsWith(":")) {
                return;
            }
            out.add(name, value);
        });
        if (ctx.direction() == Direction.INBOUND) {
            clientCertHeader(out);
        }
        forwardedFor(out);
        return out;
    }

    /**
     * Envoy's {@code use_remote_address}: the client is the peer, or with N trusted hops the Nth
     * address from the right of the incoming {@code x-forwarded-for}; the peer is appended to it,
     * {@code x-forwarded-proto} says how the client connected and, for an external client,
     * {@code x-envoy-external-address} names it. Without it the headers pass unchanged and the client
     * is the peer. Either way decides, as Envoy does, whether the request is internal: with
     * {@code use_remote_address}, no incoming {@code x-forwarded-for} and an internal peer; without
     * it, an incoming {@code x-forwarded-for} of exactly one internal address (and no trusted hops).
     */
    private void forwardedFor(MultiMap out) {
        HttpChain.Forwarded fw = chain.forwarded();
        String peer = remote == null || remote.hostAddress() == null ? "" : remote.hostAddress();
        clientAddress = peer;
        int hops = fw.trustedHops();
        if (!fw.useRemoteAddress() && (hops != 0 || !out.contains(XFF))) {
            internal = false; // needs exactly one x-forwarded-for address and no trusted hops (below)
            return;
        }
        java.util.List<String> xff = new java.util.ArrayList<>();
        for (String v : out.getAll(XFF)) {
            for (String a : v.split(",")) {
                if (!a.isBlank()) {
                    xff.add(a.trim());
                }
            }
        }
        if (!fw.useRemoteAddress()) {
            internal = hops == 0 && xff.size() == 1 && fw.internal().isInternal(xff.get(0));
            return;
        }
        internal = xff.isEmpty() && fw.internal().isInternal(peer);
        if (hops > 0 && xff.size() >= hops) {
            clientAddress = xff.get(xff.size() - hops);
        }
        if (!peer.isEmpty()) {
            xff.add(peer);
        }
        out.remove(XFF);
        if (!xff.isEmpty()) {
            out.set(XFF, String.join(",", xff));
        }
        out.set(XFP, request.isSSL() ? "https" : "http");
        if (!internal) {
            out.remove(EXTERNAL_ADDRESS);
            if (!clientAddress.isEmpty()) {
                out.set(EXTERNAL_ADDRESS, clientAddress);
            }
        }
    }

    private void clientCertHeader(MultiMap out) {
        switch (chain.forwardClientCert()) {
            case FORWARD_ONLY -> {
            }
            case SANITIZE -> out.remove(XFCC);
            case SANITIZE_SET, APPEND_FORWARD -> {
                String prior = out.get(XFCC);
                out.remove(XFCC);
                String mine = xfccValue();
                if (chain.forwardClientCert() == HttpChain.ClientCertForwarding.APPEND_FORWARD && prior != null) {
                    out.set(XFCC, mine.isEmpty() ? prior : prior + "," + mine);
                } else if (!mine.isEmpty()) {
                    out.set(XFCC, mine);
                }
            }
        }
    }

    private String xfccValue() {
        PeerIdentities.Peer peer = PeerIdentities.of(request.connection());
        if (peer.spiffeId().isEmpty()) {
            return "";
        }
        String own = ctx.ownSpiffeId().get();
        Xfcc last = lastXfcc;
        if (last != null && last.peer().equals(peer) && last.own().equals(own)) {
            return last.value();
        }
        String value = xfccValue(peer, own);
        lastXfcc = new Xfcc(peer, own, value);
        return value;
    }

    /** The last value made and what it was made of: a proxy's requests mostly come from one or a few peers. */
    private static volatile Xfcc lastXfcc;

    private record Xfcc(PeerIdentities.Peer peer, String own, String value) {
    }

    private static String xfccValue(PeerIdentities.Peer peer, String own) {
        String peerSpiffeId = peer.spiffeId();
        StringBuilder b = new StringBuilder(32 + own.length() + peer.leafSha256().length() + peerSpiffeId.length());
        if (!own.isEmpty()) {
            b.append("By=").append(own).append(';');
        }
        String hash = peer.leafSha256();
        if (!hash.isEmpty()) {
            b.append("Hash=").append(hash).append(';');
        }
        return b.append("URI=").append(peerSpiffeId).toString();
    }
}
