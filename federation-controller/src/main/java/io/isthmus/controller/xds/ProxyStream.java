package io.isthmus.controller.xds;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.controller.translate.ProxyView;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxy's ADS stream (state of the world): who the proxy is, its subscriptions per type, the
 * configuration last computed for it, and its ACK/NACK state. A NACK leaves the proxy on its last
 * good config: the refused version is not resent, the next change sends a new one.
 *
 * <p>A proxy's first configuration is computed off the event loop (on {@code translation}), so a
 * proxy whose translation takes long never holds up the other streams and certificate requests of
 * that loop; its requests wait, in order, until that configuration (or a push) is in.
 *
 * <p>Thread-safety: requests arrive on the stream's Vert.x event loop, pushes from the push thread;
 * every state access holds this object's lock, and responses are written under it, so the gRPC
 * observer never sees concurrent calls.
 */
public final class ProxyStream implements StreamObserver<DiscoveryRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyStream.class);
    private static final AtomicLong IDS = new AtomicLong();

    /** What the stream needs from the service that opened it. */
    interface Host {
        ProxyConfigSource source();

        XdsMetrics metrics();

        Clock clock();

        void opened(ProxyStream stream);

        void closed(ProxyStream stream);

        PushThrottle throttle();
    }

    private final long id = IDS.incrementAndGet();
    private final StreamObserver<DiscoveryResponse> out;
    private final Host host;
    private final Optional<PeerIdentity> peer;
    private final Executor executor;
    private final Executor translation;
    private final Instant connectedAt;
    private final Map<XdsType, Subscription> subscriptions = new EnumMap<>(XdsType.class);
    private ProxyView view;
    private ProxyResources resources = ProxyResources.EMPTY;
    private java.util.function.BooleanSupplier ready = () -> true;
    private long nonces;
    private boolean closed;
    /** Whether the proxy's configuration has been computed once (its first, or a push); requests wait until then. */
    private boolean configured;
    private final java.util.ArrayDeque<DiscoveryRequest> waiting = new java.util.ArrayDeque<>();

    /**
     * @param executor where the stream's events run (its event loop)
     * @param translation where the first configuration is computed, off that loop
     */
    ProxyStream(StreamObserver<DiscoveryResponse> out, Host host, Optional<PeerIdentity> peer, Executor executor,
                Executor translation) {
        this.out = Objects.requireNonNull(out, "out");
        this.host = Objects.requireNonNull(host, "host");
        this.peer = Objects.requireNonNull(peer, "peer");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.translation = Objects.requireNonNull(translation, "translation");
        this.connectedAt = host.clock().instant();
    }

    /**
     * Binds the stream to its transport's flow control: while {@code isReady} is false nothing is
     * written and owed responses are only marked; when the transport drains, the latest state of
     * each owed type goes out (state of the world may skip intermediate versions). This bounds the
     * memory a push to thousands of slow proxies can take.
     */
    void flowControl(java.util.function.BooleanSupplier isReady) {
        this.ready = Objects.requireNonNull(isReady, "isReady");
    }

    /** The transport can take more: sends what was owed, in type order. */
    void onReady() {
        executor.execute(() -> {
            synchronized (this) {
                if (closed) {
                    return;
                }
                for (XdsType type : XdsType.values()) {
                    Subscription s = subscriptions.get(type);
                    if (s != null && s.deferred) {
                        if (!ready.getAsBoolean()) {
                            return;
                        }
                        boolean answer = s.deferredAnswer;
                        s.deferred = false;
                        s.deferredAnswer = false;
                        send(s, answer);
                    }
                }
            }
        });
    }

    /** A process-unique id of this stream (a proxy that reconnects gets a new one). */
    public long id() {
        return id;
    }

    /** The proxy's view; empty until its first request arrived. */
    public synchronized Optional<ProxyView> view() {
        return Optional.ofNullable(view);
    }

    /** The identity from the proxy's client certificate, when it presented one. */
    public Optional<PeerIdentity> peer() {
        return peer;
    }

    /** When the stream opened. */
    public Instant connectedAt() {
        return connectedAt;
    }

    /** The configuration last computed for this proxy. */
    public synchronized ProxyResources resources() {
        return resources;
    }

    /** The sync state of every type the proxy subscribed to. */
    public synchronized List<SyncStatus> status() {
        List<SyncStatus> all = new ArrayList<>();
        for (Subscription s : subscriptions.values()) {
            all.add(s.status());
        }
        return all;
    }

    @Override
    public void onNext(DiscoveryRequest request) {
        try {
            handle(request);
        } catch (RuntimeException e) {
            LOG.warn("xDS request refused [{}] [{}]: {}", label(), request.getTypeUrl(), e.getMessage());
            fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
        }
    }

    @Override
    public void onError(Throwable t) {
        LOG.debug("xDS stream ended with error {}: {}", label(), t.toString());
        close();
    }

    @Override
    public void onCompleted() {
        LOG.debug("xDS stream completed {}", label());
        synchronized (this) {
            if (!closed) {
                out.onCompleted();
            }
        }
        close();
    }

    /** Recomputes nothing: sends every subscribed type whose content differs from what was sent. */
    void push(ProxyResources next) {
        executor.execute(() -> configured(next, false));
    }

    /**
     * Takes a configuration: the first one computed for the proxy ({@code initial}), ignored if a push came first
     * (the push's is at least as recent), or a push's. The first to arrive releases the requests that waited for it.
     */
    private void configured(ProxyResources next, boolean initial) {
        List<DiscoveryRequest> released;
        synchronized (this) {
            if (closed || initial && configured) {
                return;
            }
            resources = next;
            if (configured) {
                for (XdsType type : XdsType.values()) {
                    Subscription s = subscriptions.get(type);
                    if (s != null && s.requested) {
                        send(s, false);
                    }
                }
                return;
            }
            configured = true;
            released = new ArrayList<>(waiting);
            waiting.clear();
        }
        LOG.info("proxy connected {} [{}] [network={} locality={}]", label(), view.nodeId(), view.network(), view.locality());
        for (DiscoveryRequest r : released) {
            onNext(r);
        }
    }

    /** Computes the proxy's first configuration (on the translation executor) and hands it to the stream's loop. */
    private void computeFirst(ProxyView v) {
        ProxyResources initial;
        try {
            initial = host.source().resourcesFor(v);
        } catch (RuntimeException e) {
            executor.execute(() -> {
                LOG.warn("configuration not computed {}: {}", label(), e.toString());
                fail(Status.INVALID_ARGUMENT.withDescription("configuration not computed: " + e.getMessage()));
            });
            return;
        }
        executor.execute(() -> configured(initial, true));
    }

    private void handle(DiscoveryRequest request) {
        boolean first = false;
        boolean queued = false;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (view == null) {
                if (!request.hasNode()) {
                    throw new IllegalArgumentException("the first request of a stream must carry the node");
                }
                ProxyView v = ProxyView.fromNode(request.getNode());
                checkIdentity(v);
                view = peer.map(p -> v.withPeerIdentity(p.spiffeId())).orElse(v);
                first = true;
            }
            if (!configured) {
                waiting.add(request);
                queued = true;
            }
        }
        if (first) {
            // Registered before its configuration is computed, so that a push from now on reaches it.
            host.opened(this);
            ProxyView v = view;
            translation.execute(() -> computeFirst(v));
        }
        if (queued) {
            return;
        }
        XdsType type = XdsType.fromTypeUrl(request.getTypeUrl()).orElse(null);
        if (type == null) {
            LOG.debug("ignoring request for unserved type {} [{}]", label(), request.getTypeUrl());
            return;
        }
        synchronized (this) {
            if (!closed) {
                onRequest(type, request);
            }
        }
    }

    private void onRequest(XdsType type, DiscoveryRequest request) {
        Subscription s = subscriptions.computeIfAbsent(type, Subscription::new);
        String nonce = request.getResponseNonce();
        if (!nonce.isEmpty()) {
            if (!nonce.equals(s.sentNonce)) {
                LOG.debug("stale nonce {} [{}] [nonce={} latest={}]", label(), type.shortName(), nonce, s.sentNonce);
                return;
            }
            if (s.holdsSlot) {
                s.holdsSlot = false;
                host.throttle().release();
                if (s.deferred) {
                    onReady();
                }
            }
            if (request.hasErrorDetail()) {
                s.nackReason = request.getErrorDetail().getMessage().isEmpty()
                        ? "(no reason given)" : request.getErrorDetail().getMessage();
                host.metrics().nacked(type);
                LOG.warn("NACK {} [{}] [version={} acked={}]: {}", label(), type.shortName(), s.sentVersion,
                        request.getVersionInfo(), s.nackReason);
                return;
            }
            s.ackedVersion = request.getVersionInfo();
            s.nackReason = "";
            LOG.debug("ACK {} [{}] [version={}]", label(), type.shortName(), s.ackedVersion);
        }
        TreeSet<String> names = new TreeSet<>(request.getResourceNamesList());
        boolean wildcard = type.wildcardCapable() && (names.isEmpty() || names.contains("*"));
        names.remove("*");
        boolean changed = !s.requested || wildcard != s.wildcard || !names.equals(s.names);
        s.names = names;
        s.wildcard = wildcard;
        s.requested = true;
        if (changed) {
            send(s, true);
        }
    }

    private void send(Subscription s, boolean subscriptionChanged) {
        if (!ready.getAsBoolean() || earlierDeferred(s.type) || s.holdsSlot) {
            s.deferred = true;
            s.deferredAnswer |= subscriptionChanged;
            return;
        }
        List<Any> any = new ArrayList<>();
        MessageDigest digest = sha256();
        Map<String, ? extends Message> all = s.type.of(resources);
        if (s.wildcard) {
            for (Map.Entry<String, ? extends Message> e : all.entrySet()) {
                add(e.getKey(), e.getValue(), any, digest);
            }
        } else {
            for (String name : s.names) {
                Message m = all.get(name);
                if (m != null) {
                    add(name, m, any, digest);
                }
            }
        }
        String version = HexFormat.of().formatHex(digest.digest(), 0, 8);
        if (!subscriptionChanged && version.equals(s.sentVersion)) {
            return;
        }
        if (!host.throttle().tryAcquire(this)) {
            s.deferred = true;
            s.deferredAnswer |= subscriptionChanged;
            return;
        }
        s.holdsSlot = true;
        String nonce = Long.toString(++nonces);
        DiscoveryResponse response = DiscoveryResponse.newBuilder()
                .setTypeUrl(s.type.typeUrl())
                .setVersionInfo(version)
                .setNonce(nonce)
                .addAllResources(any)
                .build();
        s.sentVersion = version;
        s.sentNonce = nonce;
        s.sentCount = any.size();
        s.sentAt = host.clock().instant();
        s.nackReason = "";
        try {
            out.onNext(response);
            host.metrics().pushed(s.type);
            LOG.debug("sent {} [{}] [version={} nonce={} resources={}]", label(), s.type.shortName(), version, nonce, any.size());
        } catch (RuntimeException e) {
            LOG.debug("send failed {} [{}]: {}", label(), s.type.shortName(), e.toString());
            closeQuietly();
        }
    }

    private boolean earlierDeferred(XdsType type) {
        for (XdsType t : XdsType.values()) {
            if (t == type) {
                return false;
            }
            Subscription s = subscriptions.get(t);
            if (s != null && s.deferred) {
                return true;
            }
        }
        return false;
    }

    private static void add(String name, Message m, List<Any> any, MessageDigest digest) {
        PackedResources.Packed p = PackedResources.of(m);
        any.add(p.any());
        digest.update(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update(p.digest());
    }

    private void checkIdentity(ProxyView v) {
        if (peer.isEmpty() || v.namespace().isEmpty() || v.serviceAccount().isEmpty()) {
            return;
        }
        String claimed = "/ns/" + v.namespace() + "/sa/" + v.serviceAccount();
        if (!peer.get().spiffeId().endsWith(claimed)) {
            throw new IllegalArgumentException("node " + v.nodeId() + " claims " + claimed
                    + " but its certificate says " + peer.get().spiffeId());
        }
    }

    private void fail(Status status) {
        synchronized (this) {
            if (!closed) {
                try {
                    out.onError(status.asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the stream is already gone
                }
            }
        }
        close();
    }

    private void closeQuietly() {
        close();
    }

    private void close() {
        boolean wasOpen;
        int held = 0;
        synchronized (this) {
            wasOpen = !closed;
            closed = true;
            if (wasOpen) {
                for (Subscription s : subscriptions.values()) {
                    if (s.holdsSlot) {
                        s.holdsSlot = false;
                        held++;
                    }
                }
            }
        }
        host.throttle().forget(this);
        for (int i = 0; i < held; i++) {
            host.throttle().release();
        }
        if (wasOpen && view != null) {
            host.closed(this);
            LOG.info("proxy disconnected {}", label());
        }
    }

    private String label() {
        ProxyView v = view;
        return v == null ? "[stream-" + id + "]" : v.label();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
