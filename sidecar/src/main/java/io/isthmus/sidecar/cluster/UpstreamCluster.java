package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.LocalityKey;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.OutlierDetector;
import io.isthmus.sidecar.lb.HashTables;
import io.isthmus.sidecar.lb.PriorityLoadBalancer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.net.NetClient;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A cluster at run time: its immutable config, its current endpoints (swapped atomically on EDS
 * updates) with, for RING_HASH and MAGLEV, their hash tables (built with them), the load balancer,
 * outlier detector, circuit-breaker counters (shared by all event loops) and the upstream clients ({@link UpstreamTransports}: per TLS setting its connections may use, a
 * Vert.x HTTP client per event loop, whose pools are keyed by endpoint, and a TCP client). Balancing,
 * outlier detection and limits are the cluster's, whichever TLS an endpoint's connections use. Safe for
 * use from any event loop.
 */
public final class UpstreamCluster {

    private final ClusterConfig config;
    private final AtomicReference<LoadAssignment> assignment;
    private final PriorityLoadBalancer balancer;
    /** The ring or Maglev tables of a consistent-hash cluster, replaced with the endpoints; null for other policies. */
    private volatile HashTables hashTables;
    private final RandomGenerator random;
    private final Optional<OutlierDetector> outlier;
    private final UpstreamTransports transports;
    private final LongSupplier nanoClock;
    private final AtomicInteger activeRequests;
    private final AtomicInteger activeRetries;
    private final AtomicInteger pending;
    /** The {@code max_requests_per_connection} counter; null when the cluster sets no limit. */
    private final RequestsPerConnection perConnection;
    /** The hosts of an ORIGINAL_DST cluster, one per original destination, as Envoy keeps them. */
    private final java.util.concurrent.ConcurrentHashMap<EndpointAddress, Endpoint> originalDsts =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** How many original destinations an ORIGINAL_DST cluster remembers before it starts afresh. */
    static final int MAX_ORIGINAL_DSTS = 4096;

    private UpstreamCluster(ClusterConfig config, LoadAssignment initial, UpstreamTransports transports,
                            LongSupplier nanoClock, RandomGenerator random, AtomicInteger activeRequests,
                            AtomicInteger activeRetries, AtomicInteger pending, RequestsPerConnection perConnection,
                            HashTables previousTables) {
        this.config = config;
        this.random = random;
        this.hashTables = config.hashLb().map(h -> HashTables.build(initial, h, previousTables)).orElse(null);
        this.perConnection = perConnection;
        this.assignment = new AtomicReference<>(initial);
        this.balancer = new PriorityLoadBalancer(config.lbPolicy(), random);
        this.transports = transports;
        this.nanoClock = nanoClock;
        this.outlier = config.outlier().map(o -> new OutlierDetector(config.name(), o, nanoClock, this::endpoints));
        this.activeRequests = activeRequests;
        this.activeRetries = activeRetries;
        this.pending = pending;
    }

    /** Creates a cluster with fresh pools and no endpoints (EDS, DNS until resolved) or its static endpoints. */
    public static UpstreamCluster create(Vertx vertx, ClusterTls tls, ClusterConfig config, LongSupplier nanoClock,
                                         RandomGenerator random) {
        LoadAssignment initial = config.staticAssignment().orElse(LoadAssignment.empty(config.name()));
        return new UpstreamCluster(config, initial, new UpstreamTransports(vertx, tls, config), nanoClock, random,
                new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), perConnection(config), null);
    }

    /**
     * The same cluster under a new config: keeps endpoints, their state and counters; keeps the
     * pools and TCP clients when TLS, socket matches, protocol, limits and connection settings are unchanged.
     *
     * @return the new cluster; the caller closes this one's pools when {@link #sharesClient} is false
     */
    public UpstreamCluster reconfigure(Vertx vertx, ClusterTls tls, ClusterConfig next, RandomGenerator random) {
        boolean same = config.samePools(next);
        UpstreamTransports t = same ? transports : new UpstreamTransports(vertx, tls, next);
        LoadAssignment endpoints = next.staticAssignment().orElse(assignment.get());
        return new UpstreamCluster(next, endpoints, t, nanoClock, random, activeRequests, activeRetries, pending,
                same ? perConnection : perConnection(next), hashTables);
    }

    private static RequestsPerConnection perConnection(ClusterConfig config) {
        return config.maxRequestsPerConnection() > 0 ? new RequestsPerConnection(config.maxRequestsPerConnection()) : null;
    }

    /** True when the other cluster uses this one's connection pools and TCP clients. */
    public boolean sharesClient(UpstreamCluster other) {
        return other.transports == transports;
    }

    /** A pool idle timeout in Vert.x's whole seconds: zero = none, a fraction of a second rounds up to 1 s. */
    static int keepAliveSeconds(java.time.Duration idle) {
        if (idle.isZero()) {
            return 0;
        }
        long seconds = idle.getSeconds() + (idle.getNano() > 0 ? 1 : 0);
        return (int) Math.min(Integer.MAX_VALUE, seconds);
    }

    /**
     * Counts a request about to be sent upstream on its pooled connection, for
     * {@code max_requests_per_connection}; nothing happens when the cluster sets no limit.
     */
    public void onRequestSent(io.vertx.core.http.HttpClientRequest request) {
        if (perConnection != null) {
            perConnection.onRequest(request);
        }
    }

    /** The config. */
    public ClusterConfig config() {
        return config;
    }

    /** The cluster name. */
    public String name() {
        return config.name();
    }

    /**
     * The upstream TLS of connections to {@code endpoint}: the cluster's {@code transport_socket}, or that of
     * the first of its {@code transport_socket_matches} the endpoint's metadata fits; empty for plaintext.
     */
    public Optional<UpstreamTls> tlsFor(Endpoint endpoint) {
        return config.tlsFor(endpoint);
    }

    /** The HTTP client holding the calling event loop's pools for {@code endpoint}, with its TLS ({@link #tlsFor}). */
    public HttpClientAgent client(Endpoint endpoint) {
        return transports.client(config.socketMatchIndex(endpoint));
    }

    /** The TCP client (TCP proxy) for {@code endpoint}, with its TLS ({@link #tlsFor}); created on first use. */
    public NetClient netClient(Endpoint endpoint) {
        return transports.netClient(config.socketMatchIndex(endpoint));
    }

    /** The upstream clients, for tests. */
    UpstreamTransports transports() {
        return transports;
    }

    /** The current endpoints. */
    public LoadAssignment assignment() {
        return assignment.get();
    }

    /** Every current endpoint. */
    public List<Endpoint> endpoints() {
        return assignment.get().endpoints();
    }

    /**
     * Replaces the endpoints (EDS, DNS); a consistent-hash cluster builds its tables for them here, once, reusing
     * those of priorities whose endpoints and weights did not change.
     */
    public synchronized void updateEndpoints(LoadAssignment next) {
        Objects.requireNonNull(next, "next");
        HashTables tables = hashTables;
        if (tables != null) {
            hashTables = HashTables.build(next, tables.config(), tables);
        }
        assignment.set(next);
    }

    /** Picks an endpoint, avoiding {@code excluded}; null when the cluster has none. */
    public Endpoint choose(Set<Endpoint> excluded) {
        return choose(excluded, OptionalLong.empty());
    }

    /**
     * Picks an endpoint, avoiding {@code excluded}: a consistent-hash cluster by {@code hash} (by a random one when
     * the request has none, as Envoy), the others ignore it; null when the cluster has no endpoint.
     */
    public Endpoint choose(Set<Endpoint> excluded, OptionalLong hash) {
        HashTables tables = hashTables;
        if (tables == null) {
            return balancer.choose(assignment.get(), excluded, nanoClock.getAsLong());
        }
        return balancer.choose(tables, hash.isPresent() ? hash.getAsLong() : random.nextLong(), excluded,
                nanoClock.getAsLong());
    }

    /**
     * Picks the endpoint of a connection whose original destination is {@code originalDst}: for an
     * ORIGINAL_DST cluster that destination itself (null when it is unknown or a loopback address,
     * which would only reach this proxy again), for other clusters as {@link #choose(Set)}.
     */
    public Endpoint choose(Set<Endpoint> excluded, io.vertx.core.net.SocketAddress originalDst) {
        return choose(excluded, originalDst, OptionalLong.empty());
    }

    /**
     * Picks the endpoint of a request: for an ORIGINAL_DST cluster as {@link #choose(Set, io.vertx.core.net.SocketAddress)},
     * for other clusters as {@link #choose(Set, OptionalLong)} with the request's hash.
     */
    public Endpoint choose(Set<Endpoint> excluded, io.vertx.core.net.SocketAddress originalDst, OptionalLong hash) {
        if (config.discovery() != ClusterConfig.Discovery.ORIGINAL_DST) {
            return choose(excluded, hash);
        }
        if (originalDst == null || originalDst.hostAddress() == null || originalDst.port() <= 0) {
            return null;
        }
        java.net.InetAddress ip = io.netty.util.NetUtil.createInetAddressFromIpAddressString(originalDst.hostAddress());
        if (ip == null || ip.isLoopbackAddress() || ip.isAnyLocalAddress()) {
            return null;
        }
        EndpointAddress at = new EndpointAddress(ip.getHostAddress(), originalDst.port());
        if (originalDsts.size() >= MAX_ORIGINAL_DSTS && !originalDsts.containsKey(at)) {
            originalDsts.clear();
        }
        return originalDsts.computeIfAbsent(at, a -> new Endpoint(a, LocalityKey.UNSPECIFIED, 0, 1, true, new EndpointState()));
    }

    /** True when some endpoint is available now (healthy and not ejected). */
    public boolean hasAvailable() {
        long now = nanoClock.getAsLong();
        return endpoints().stream().anyMatch(e -> e.available(now));
    }

    /** Records an attempt's outcome for outlier detection. */
    public void record(Endpoint endpoint, EndpointState.Outcome outcome) {
        if (config.discovery() == ClusterConfig.Discovery.ORIGINAL_DST) {
            return; // one host per destination: nothing to eject in favour of
        }
        if (outlier.isPresent()) {
            outlier.get().record(endpoint, outcome);
        }
    }

    /**
     * Ends the current outlier-detection interval: success-rate and failure-percentage ejection run
     * over the requests of the interval just ended. The cluster manager calls this every
     * {@code outlier_detection.interval}; nothing happens without outlier detection.
     */
    public void endOutlierInterval() {
        outlier.ifPresent(OutlierDetector::onInterval);
    }

    /** Takes a request slot; false when {@code max_requests} is reached. */
    public boolean tryStartRequest() {
        if (activeRequests.incrementAndGet() > config.limits().maxRequests()) {
            activeRequests.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Returns a request slot. */
    public void endRequest() {
        activeRequests.decrementAndGet();
    }

    /** Takes a retry slot; false when {@code max_retries} or the retry budget is exhausted. */
    public boolean tryStartRetry() {
        int retries = activeRetries.incrementAndGet();
        if (!config.limits().retryAllowed(retries - 1, activeRequests.get())) {
            activeRetries.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Returns a retry slot. */
    public void endRetry() {
        activeRetries.decrementAndGet();
    }

    /** Requests in flight. */
    public int activeRequests() {
        return activeRequests.get();
    }

    /** Monotonic time used by this cluster. */
    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** Closes the pools and TCP clients. */
    public void close() {
        transports.close();
    }
}
