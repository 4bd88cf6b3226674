package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * The proxy's ADS client (state of the world): one bidirectional stream to the control plane
 * carrying CDS (wildcard), EDS for the EDS clusters, LDS (wildcard), RDS for the route
 * configurations the listeners name, and SDS {@code ROOTCA}. Every update is applied through the
 * {@link ConfigApplier} and ACKed, or NACKed with the handler's message as {@code error_detail}
 * while the previous config stays. Listeners wait until the clusters are warm (every EDS cluster
 * has had its first assignment, or the warming timeout passed). When the stream breaks the proxy
 * keeps serving its cached config and reconnects with exponential backoff and jitter. Route
 * configurations wait for warm clusters too, and for CDS to know every cluster they route to (ADS
 * servers need not order their responses by type), so a route never points at a new cluster that
 * has no endpoints yet (Envoy's cluster warming, seen from the route side).
 *
 * <p>All state lives on one thread ({@code isthmus-xds}); handlers are called from it.
 */
public final class XdsClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(XdsClient.class);
    private static final int INVALID_ARGUMENT = 3;

    /** Per-type subscription state on the current stream. */
    private static final class Sub {
        final boolean wildcard;
        Set<String> names = new TreeSet<>();
        Set<String> received = new TreeSet<>();
        boolean everReceived;
        String ackedVersion = "";
        String nonce = "";

        Sub(boolean wildcard) {
            this.wildcard = wildcard;
        }
    }

    private final NodeInfo node;
    private final ManagedChannel channel;
    private final ConfigApplier applier;
    private final XdsClientOptions options;
    private final String context;
    private final ScheduledExecutorService executor;
    private final Backoff backoff;
    private final Map<XdsResourceType, Sub> subs = new EnumMap<>(XdsResourceType.class);
    private final CompletableFuture<Void> initialConfig = new CompletableFuture<>();
    private final MeterRegistry meters;
    private final Counter streamFailures;

    private StreamObserver<DiscoveryRequest> requests;
    private int generation;
    private boolean closed;
    private volatile boolean connected;
    private volatile XdsStatus status;
    private Instant lastChange = Instant.now();
    private String lastError = "";
    /** LDS and RDS responses held while clusters warm, applied in that order once they are warm. */
    private final Map<XdsResourceType, DiscoveryResponse> held = new EnumMap<>(XdsResourceType.class);
    private ScheduledFuture<?> warmingTimer;

    /**
     * Creates a client; {@link #start()} opens the stream.
     *
     * @param node    the proxy's identity, sent in every request
     * @param channel the channel to the control plane (owned by the client from now on)
     * @param applier puts updates in force
     * @param options backoff and warming
     * @param random  jitter source
     */
    public XdsClient(NodeInfo node, ManagedChannel channel, ConfigApplier applier, XdsClientOptions options,
                     RandomGenerator random) {
        this(node, channel, applier, options, random, new SimpleMeterRegistry());
    }

    /**
     * Like {@link #XdsClient(NodeInfo, ManagedChannel, ConfigApplier, XdsClientOptions, RandomGenerator)},
     * recording {@code isthmus_xds_connected}, {@code isthmus_xds_updates_total{type,result}} and
     * {@code isthmus_xds_stream_failures_total} in {@code meters}.
     */
    public XdsClient(NodeInfo node, ManagedChannel channel, ConfigApplier applier, XdsClientOptions options,
                     RandomGenerator random, MeterRegistry meters) {
        this.meters = Objects.requireNonNull(meters, "meters");
        Gauge.builder("isthmus_xds_connected", this, c -> c.connected ? 1 : 0)
                .description("1 while the ADS stream to the control plane is up").register(meters);
        this.streamFailures = Counter.builder("isthmus_xds_stream_failures_total")
                .description("ADS streams that ended or failed to open").register(meters);
        this.node = Objects.requireNonNull(node, "node");
        this.channel = Objects.requireNonNull(channel, "channel");
        this.applier = Objects.requireNonNull(applier, "applier");
        this.options = Objects.requireNonNull(options, "options");
        this.context = node.logContext();
        this.backoff = new Backoff(options.initialBackoff(), options.maxBackoff(), random);
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isthmus-xds");
            t.setDaemon(true);
            return t;
        });
        subs.put(XdsResourceType.CLUSTER, new Sub(true));
        subs.put(XdsResourceType.ENDPOINT, new Sub(false));
        subs.put(XdsResourceType.LISTENER, new Sub(true));
        subs.put(XdsResourceType.ROUTE, new Sub(false));
        Sub sds = new Sub(false);
        sds.names.add(XdsNames.ROOT_SECRET);
        subs.put(XdsResourceType.SECRET, sds);
    }

    /** Opens the stream (asynchronously). */
    public void start() {
        executor.execute(this::connect);
    }

    /**
     * Completes once the first complete config is in force: clusters, their endpoints, listeners
     * and the routes they name.
     */
    public CompletableFuture<Void> initialConfig() {
        return initialConfig;
    }

    /** Whether a stream is up and has delivered at least one response. */
    public boolean connected() {
        return connected;
    }

    /** The store of what is in force (for the admin endpoint). */
    public ResourceStore store() {
        return applier.store();
    }

    private void connect() {
        if (closed) {
            return;
        }
        int gen = ++generation;
        for (Sub s : subs.values()) {
            s.nonce = "";
        }
        held.clear();
        LOG.info("ADS stream opening {} [{}]", context, channel.authority());
        lastChange = Instant.now();
        publishStatus();
        requests = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(new Responses(gen));
        for (XdsResourceType t : new XdsResourceType[] {XdsResourceType.CLUSTER, XdsResourceType.ENDPOINT,
                XdsResourceType.LISTENER, XdsResourceType.ROUTE, XdsResourceType.SECRET}) {
            Sub s = subs.get(t);
            if (s.wildcard || !s.names.isEmpty()) {
                send(t, s.ackedVersion, "", null);
            }
        }
    }

    private final class Responses implements StreamObserver<DiscoveryResponse> {
        private final int gen;

        Responses(int gen) {
            this.gen = gen;
        }

        @Override
        public void onNext(DiscoveryResponse value) {
            run(() -> {
                if (gen == generation && !closed) {
                    onResponse(value);
                }
            });
        }

        @Override
        public void onError(Throwable t) {
            run(() -> streamEnded(gen, Status.fromThrowable(t).toString()));
        }

        @Override
        public void onCompleted() {
            run(() -> streamEnded(gen, "completed by the server"));
        }
    }

    private void run(Runnable task) {
        try {
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.error("xDS client event failed {}: {}", context, e.toString(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            LOG.debug("ADS event after close ignored {}", context);
        }
    }

    private void streamEnded(int gen, String why) {
        if (gen != generation || closed) {
            return;
        }
        boolean wasConnected = connected;
        connected = false;
        streamFailures.increment();
        lastChange = Instant.now();
        lastError = why;
        publishStatus();
        requests = null;
        Duration delay = backoff.next();
        if (wasConnected) {
            LOG.warn("ADS stream lost {} [{}]: {}; serving cached config, reconnecting in {} ms", context,
                    channel.authority(), why, delay.toMillis());
        } else {
            LOG.debug("ADS connect failed {} [{}]: {}; retrying in {} ms", context, channel.authority(), why,
                    delay.toMillis());
        }
        executor.schedule(this::connect, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onResponse(DiscoveryResponse r) {
        connected = true;
        backoff.reset();
        var type = XdsResourceType.ofTypeUrl(r.getTypeUrl());
        if (type.isEmpty()) {
            LOG.warn("ADS response of unknown type {} [{}]; rejected", context, r.getTypeUrl());
            sendRaw(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce())
                    .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(INVALID_ARGUMENT)
                            .setMessage("type not supported: " + r.getTypeUrl())).build());
            return;
        }
        XdsResourceType t = type.get();
        subs.get(t).nonce = r.getNonce();
        if ((t == XdsResourceType.LISTENER || t == XdsResourceType.ROUTE)
                && (!clustersWarm() || !routedClustersKnown(t, r) || !secretsArrived(t, r))) {
            held.put(t, r);
            count(t, "held");
            if (warmingTimer == null) {
                warmingTimer = executor.schedule(this::warmingTimedOut, options.warmingTimeout().toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            LOG.debug("{} {} held until clusters are warm {}", t.shortName(), r.getVersionInfo(), context);
            return;
        }
        process(t, r);
    }

    private void process(XdsResourceType t, DiscoveryResponse r) {
        Sub sub = subs.get(t);
        Map<String, Message> decoded;
        try {
            decoded = ResponseReading.decode(t, r);
            Map<String, Message> next = decoded;
            if (!sub.wildcard) {
                next = new LinkedHashMap<>(applier.store().state(t).dynamicResources());
                next.putAll(decoded);
                next.keySet().retainAll(sub.names);
            }
            applier.apply(t, next, r.getVersionInfo());
        } catch (XdsResourceException e) {
            nack(t, r, e.getMessage());
            return;
        }
        count(t, "applied");
        sub.ackedVersion = r.getVersionInfo();
        sub.everReceived = true;
        sub.received.addAll(decoded.keySet());
        LOG.info("{} {} applied {} [{} resources]", t.shortName(), r.getVersionInfo(), context, decoded.size());
        send(t, r.getVersionInfo(), r.getNonce(), null);
        switch (t) {
            case CLUSTER -> {
                resubscribe(XdsResourceType.ENDPOINT, ResponseReading.edsNames(
                        applier.store().state(XdsResourceType.CLUSTER).merged().values()));
                resubscribe(XdsResourceType.SECRET, secretNames(java.util.List.of()));
            }
            case LISTENER -> {
                resubscribe(XdsResourceType.ROUTE, ResponseReading.rdsNames(
                        applier.store().state(XdsResourceType.LISTENER).merged().values()));
                resubscribe(XdsResourceType.SECRET, secretNames(java.util.List.of()));
                scheduleRouteWarming();
            }
            default -> { }
        }
        if (!held.isEmpty() && clustersWarm() && routedClustersKnown(XdsResourceType.ROUTE, held.get(XdsResourceType.ROUTE))
                && secretsArrived(XdsResourceType.LISTENER, held.get(XdsResourceType.LISTENER))) {
            flushHeld();
        }
        checkInitial();
    }

    private void count(XdsResourceType t, String result) {
        meters.counter("isthmus_xds_updates_total", "type", t.shortName(), "result", result).increment();
    }

    private void nack(XdsResourceType t, DiscoveryResponse r, String detail) {
        count(t, "rejected");
        LOG.warn("{} {} rejected {}: {}", t.shortName(), r.getVersionInfo(), context, detail);
        applier.recordRejection(t, r.getVersionInfo(), detail);
        send(t, subs.get(t).ackedVersion, r.getNonce(), detail);
    }

    /** Changes the names subscribed for a non-wildcard type, dropping resources no longer named. */
    private void resubscribe(XdsResourceType t, Set<String> names) {
        Sub s = subs.get(t);
        if (s.names.equals(names)) {
            return;
        }
        s.names = new TreeSet<>(names);
        s.received.retainAll(names);
        Map<String, Message> current = applier.store().state(t).dynamicResources();
        if (!names.containsAll(current.keySet())) {
            Map<String, Message> kept = new LinkedHashMap<>(current);
            kept.keySet().retainAll(names);
            try {
                applier.apply(t, kept, s.ackedVersion);
            } catch (XdsResourceException e) {
                LOG.warn("{} removal of unused resources failed {}: {}", t.shortName(), context, e.getMessage());
            }
        }
        send(t, s.ackedVersion, s.nonce, null);
    }

    private boolean clustersWarm() {
        Sub cds = subs.get(XdsResourceType.CLUSTER);
        Sub eds = subs.get(XdsResourceType.ENDPOINT);
        return cds.everReceived && eds.received.containsAll(eds.names);
    }

    /**
     * Whether every cluster a route response sends to is already known from CDS. ADS servers need
     * not order their responses by type, and a route applied before its cluster would answer 503.
     */
    private boolean routedClustersKnown(XdsResourceType t, DiscoveryResponse r) {
        if (t != XdsResourceType.ROUTE || r == null) {
            return true;
        }
        return applier.store().state(XdsResourceType.CLUSTER).merged().keySet()
                .containsAll(ResponseReading.routedClusters(r));
    }

    /**
     * The SDS names to subscribe: {@code ROOTCA}, and every secret the listeners and clusters in force
     * (and {@code pending} listeners about to be applied) reference, except {@code default}.
     */
    private Set<String> secretNames(java.util.List<Message> pending) {
        Set<String> names = new TreeSet<>();
        names.add(XdsNames.ROOT_SECRET);
        names.addAll(ResponseReading.secretNames(applier.store().state(XdsResourceType.CLUSTER).merged().values()));
        names.addAll(ResponseReading.secretNames(applier.store().state(XdsResourceType.LISTENER).merged().values()));
        names.addAll(ResponseReading.secretNames(pending));
        DiscoveryResponse heldListeners = held.get(XdsResourceType.LISTENER);
        if (heldListeners != null) {
            names.addAll(ResponseReading.secretNames(ResponseReading.listeners(heldListeners)));
        }
        return names;
    }

    /**
     * Whether every secret the listeners of an LDS response reference has arrived (Envoy warms a
     * listener until its secrets are there); subscribes to those not yet asked for.
     */
    private boolean secretsArrived(XdsResourceType t, DiscoveryResponse r) {
        if (t != XdsResourceType.LISTENER || r == null) {
            return true;
        }
        java.util.List<Message> listeners = ResponseReading.listeners(r);
        Set<String> needed = ResponseReading.secretNames(listeners);
        // the trust bundle has its local fallback (--root-cert); only named secrets hold a listener
        needed.remove(XdsNames.ROOT_SECRET);
        if (needed.isEmpty()) {
            return true;
        }
        Set<String> names = secretNames(listeners);
        Sub sds = subs.get(XdsResourceType.SECRET);
        if (!sds.names.containsAll(names)) {
            names.addAll(sds.names);
            resubscribe(XdsResourceType.SECRET, names);
        }
        return sds.received.containsAll(needed);
    }

    private void warmingTimedOut() {
        warmingTimer = null;
        if (!held.isEmpty()) {
            DiscoveryResponse lds = held.get(XdsResourceType.LISTENER);
            if (lds != null) {
                Sub sds = subs.get(XdsResourceType.SECRET);
                Set<String> missingSecrets = new TreeSet<>(ResponseReading.secretNames(ResponseReading.listeners(lds)));
                missingSecrets.remove(XdsNames.ROOT_SECRET);
                missingSecrets.removeAll(sds.received);
                if (!missingSecrets.isEmpty()) {
                    LOG.warn("Secrets not received after {} ms {}: {}; binding the listeners that need them anyway "
                            + "(their TLS handshakes fail until the secrets arrive)", options.warmingTimeout().toMillis(),
                            context, missingSecrets);
                    sds.received.addAll(missingSecrets);
                }
            }
            Sub eds = subs.get(XdsResourceType.ENDPOINT);
            Set<String> missing = new TreeSet<>(eds.names);
            missing.removeAll(eds.received);
            DiscoveryResponse route = held.get(XdsResourceType.ROUTE);
            Set<String> unknown = new TreeSet<>(route == null ? Set.of() : ResponseReading.routedClusters(route));
            unknown.removeAll(applier.store().state(XdsResourceType.CLUSTER).merged().keySet());
            LOG.warn("Clusters not warm after {} ms {}: no endpoints yet for {}, routes to unknown clusters {}; "
                    + "applying listeners and routes anyway", options.warmingTimeout().toMillis(), context, missing, unknown);
            // waived, so that they hold neither later updates nor readiness again
            eds.received.addAll(missing);
            flushHeld();
        }
    }

    /** After an LDS update: route configurations still missing after the warming timeout stop blocking readiness. */
    private void scheduleRouteWarming() {
        executor.schedule(() -> {
            Sub rds = subs.get(XdsResourceType.ROUTE);
            Set<String> missing = new TreeSet<>(rds.names);
            missing.removeAll(rds.received);
            if (!missing.isEmpty() && !closed) {
                LOG.warn("Route configurations not received after {} ms {}: {}; not waiting for them any more",
                        options.warmingTimeout().toMillis(), context, missing);
                rds.received.addAll(missing);
                checkInitial();
            }
        }, options.warmingTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void flushHeld() {
        if (warmingTimer != null) {
            warmingTimer.cancel(false);
            warmingTimer = null;
        }
        for (XdsResourceType t : new XdsResourceType[] {XdsResourceType.LISTENER, XdsResourceType.ROUTE}) {
            DiscoveryResponse r = held.remove(t);
            if (r != null) {
                process(t, r);
            }
        }
    }

    private void publishStatus() {
        Map<String, String> versions = new java.util.TreeMap<>();
        Map<String, Set<String>> names = new java.util.TreeMap<>();
        subs.forEach((t, sub) -> {
            versions.put(t.shortName(), sub.ackedVersion);
            names.put(t.shortName(), Set.copyOf(sub.names));
        });
        status = new XdsStatus(channel.authority(), connected, lastChange, lastError, versions, names);
    }

    /** The client's state as last published (after every stream event and applied update). */
    public XdsStatus status() {
        XdsStatus s = status;
        return s != null ? s : new XdsStatus(channel.authority(), false, lastChange, "", Map.of(), Map.of());
    }

    private void checkInitial() {
        publishStatus();
        if (initialConfig.isDone()) {
            return;
        }
        Sub lds = subs.get(XdsResourceType.LISTENER);
        Sub rds = subs.get(XdsResourceType.ROUTE);
        if (clustersWarm() && lds.everReceived && rds.received.containsAll(rds.names)) {
            LOG.info("Initial config complete {}", context);
            initialConfig.complete(null);
        }
    }

    private void send(XdsResourceType t, String version, String nonce, String errorDetail) {
        Sub s = subs.get(t);
        DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder()
                .setTypeUrl(t.typeUrl())
                .setVersionInfo(version)
                .setResponseNonce(nonce)
                .addAllResourceNames(s.wildcard ? Set.of() : s.names);
        if (errorDetail != null) {
            b.setErrorDetail(com.google.rpc.Status.newBuilder().setCode(INVALID_ARGUMENT).setMessage(errorDetail));
        }
        sendRaw(b.build());
    }

    private void sendRaw(DiscoveryRequest req) {
        if (requests == null) {
            return;
        }
        try {
            requests.onNext(req.toBuilder().setNode(node.node()).build());
        } catch (RuntimeException e) {
            LOG.debug("ADS send failed {}: {}", context, e.toString());
        }
    }

    /** Closes the stream and the channel; the config in force stays with the data plane. */
    @Override
    public void close() {
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            closed = true;
            if (requests != null) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("ADS close {}: {}", context, e.toString());
                }
            }
        }, executor);
        try {
            done.get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("ADS close did not finish {}: {}", context, e.toString());
        }
        executor.shutdownNow();
        channel.shutdownNow();
    }

    /** For diagnostics: the names currently subscribed per type. */
    public CompletableFuture<Map<XdsResourceType, Set<String>>> subscriptions() {
        return CompletableFuture.supplyAsync(() -> {
            Map<XdsResourceType, Set<String>> m = new HashMap<>();
            subs.forEach((k, v) -> m.put(k, Set.copyOf(v.names)));
            return m;
        }, executor);
    }
}
