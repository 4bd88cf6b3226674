package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.endpoint.Endpoint;
import io.isthmus.sidecar.endpoint.EndpointAddress;
import io.isthmus.sidecar.endpoint.LocalityKey;
import io.isthmus.sidecar.endpoint.EndpointState;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.OutlierDetector;
import io.isthmus.sidecar.lb.PriorityLoadBalancer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A cluster at run time: its immutable config, its current endpoints (swapped atomically on EDS
 * updates), the load balancer, outlier detector, circuit-breaker counters (shared by all event loops)
 * and the connection pools ({@link ConnectionPools}: a Vert.x HTTP client per event loop, whose pools
 * are keyed by endpoint). Safe for use from any event loop.
 */
public final class UpstreamCluster {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamCluster.class);

    private final ClusterConfig config;
    private final AtomicReference<LoadAssignment> assignment;
    private final PriorityLoadBalancer balancer;
    private final Optional<OutlierDetector> outlier;
    private final ConnectionPools pools;
    private final LongSupplier nanoClock;
    private final AtomicInteger activeRequests;
    private final AtomicInteger activeRetries;
    private final AtomicInteger pending;
    private final Vertx vertx;
    private final ClusterTls tls;
    /** The {@code max_requests_per_connection} counter; null when the cluster sets no limit. */
    private final RequestsPerConnection perConnection;
    private final AtomicReference<NetClient> netClient = new AtomicReference<>();
    /** The hosts of an ORIGINAL_DST cluster, one per original destination, as Envoy keeps them. */
    private final java.util.concurrent.ConcurrentHashMap<EndpointAddress, Endpoint> originalDsts =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** How many original destinations an ORIGINAL_DST cluster remembers before it starts afresh. */
    static final int MAX_ORIGINAL_DSTS = 4096;

    private UpstreamCluster(Vertx vertx, ClusterTls tls, ClusterConfig config, LoadAssignment initial, ConnectionPools pools,
                            LongSupplier nanoClock, RandomGenerator random, AtomicInteger activeRequests,
                            AtomicInteger activeRetries, AtomicInteger pending, RequestsPerConnection perConnection) {
        this.config = config;
        this.perConnection = perConnection;
        this.assignment = new AtomicReference<>(initial);
        this.balancer = new PriorityLoadBalancer(config.lbPolicy(), random);
        this.pools = pools;
        this.nanoClock = nanoClock;
        this.outlier = config.outlier().map(o -> new OutlierDetector(config.name(), o, nanoClock, this::endpoints));
        this.activeRequests = activeRequests;
        this.activeRetries = activeRetries;
        this.pending = pending;
        this.vertx = vertx;
        this.tls = tls;
    }

    /** Creates a cluster with fresh pools and no endpoints (EDS, DNS until resolved) or its static endpoints. */
    public static UpstreamCluster create(Vertx vertx, ClusterTls tls, ClusterConfig config, LongSupplier nanoClock,
                                         RandomGenerator random) {
        LoadAssignment initial = config.staticAssignment().orElse(LoadAssignment.empty(config.name()));
        return new UpstreamCluster(vertx, tls, config, initial, newPools(vertx, tls, config), nanoClock, random,
                new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), perConnection(config));
    }

    /**
     * The same cluster under a new config: keeps endpoints, their state and counters; keeps the
     * pools when TLS, protocol and limits are unchanged.
     *
     * @return the new cluster; the caller closes this one's pools when {@link #sharesClient} is false
     */
    public UpstreamCluster reconfigure(Vertx vertx, ClusterTls tls, ClusterConfig next, RandomGenerator random) {
        boolean same = config.samePools(next);
        ConnectionPools c = same ? pools : newPools(vertx, tls, next);
        LoadAssignment endpoints = next.staticAssignment().orElse(assignment.get());
        return new UpstreamCluster(vertx, tls, next, endpoints, c, nanoClock, random, activeRequests, activeRetries, pending,
                same ? perConnection : perConnection(next));
    }

    private static RequestsPerConnection perConnection(ClusterConfig config) {
        return config.maxRequestsPerConnection() > 0 ? new RequestsPerConnection(config.maxRequestsPerConnection()) : null;
    }

    /** True when the other cluster uses this one's connection pools. */
    public boolean sharesClient(UpstreamCluster other) {
        return other.pools == pools;
    }

    private static ConnectionPools newPools(Vertx vertx, ClusterTls tls, ClusterConfig config) {
        return new ConnectionPools(vertx, config.limits(), share -> newClient(vertx, tls, config, share));
    }

    /** A client whose pools hold {@code 1/share} of the cluster's connection and pending-request limits. */
    private static HttpClientAgent newClient(Vertx vertx, ClusterTls tls, ClusterConfig config, int share) {
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setTcpKeepAlive(true)
                .setDecompressionSupported(false)
                .setMaxHeaderSize(64 * 1024)
                .setName("cluster:" + config.name());
        int idle = keepAliveSeconds(config.idleTimeout());
        options.setKeepAliveTimeout(idle).setHttp2KeepAliveTimeout(idle);
        config.sourceAddress().ifPresent(options::setLocalAddress);
        switch (config.protocol()) {
            case HTTP_2 -> options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                    .setUseAlpn(config.tls().isPresent()).setAlpnVersions(List.of(HttpVersion.HTTP_2));
            case AUTO -> options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                    .setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
            case HTTP_1_1 -> { }
        }
        tls.apply(options, config);
        PoolOptions pool = new PoolOptions()
                .setHttp1MaxSize(config.limits().maxConnections() / share)
                .setHttp2MaxSize(Math.max(1, Math.min(4, config.limits().maxConnections() / share)))
                .setMaxWaitQueueSize(config.limits().maxPendingRequests() / share);
        String cluster = config.name();
        // A connection's own failure (a reset by a killed peer, between requests) fails its requests, which the
        // filter reports; without a handler Vert.x would log each at ERROR, often with no message at all.
        return VertxOwned.build(vertx, () -> vertx.httpClientBuilder().with(options).with(pool)
                .withConnectHandler(conn -> conn.exceptionHandler(t -> LOG.debug("upstream connection failed [{} {}]: {}",
                        cluster, conn.remoteAddress(), t.toString())))
                .build());
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

    /** The HTTP client holding the calling event loop's pools of this cluster. */
    public HttpClientAgent client() {
        return pools.current();
    }

    /** The current endpoints. */
    public LoadAssignment assignment() {
        return assignment.get();
    }

    /** Every current endpoint. */
    public List<Endpoint> endpoints() {
        return assignment.get().endpoints();
    }

    /** Replaces the endpoints (EDS). */
    public void updateEndpoints(LoadAssignment next) {
        Objects.requireNonNull(next, "next");
        assignment.set(next);
    }

    /** Picks an endpoint, avoiding {@code excluded}; null when the cluster has none. */
    public Endpoint choose(Set<Endpoint> excluded) {
        return balancer.choose(assignment.get(), excluded, nanoClock.getAsLong());
    }

    /**
     * Picks the endpoint of a connection whose original destination is {@code originalDst}: for an
     * ORIGINAL_DST cluster that destination itself (null when it is unknown or a loopback address,
     * which would only reach this proxy again), for other clusters as {@link #choose(Set)}.
     */
    public Endpoint choose(Set<Endpoint> excluded, io.vertx.core.net.SocketAddress originalDst) {
        if (config.discovery() != ClusterConfig.Discovery.ORIGINAL_DST) {
            return choose(excluded);
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

    /** The TCP client of this cluster (TCP proxy), created on first use. */
    public NetClient netClient() {
        NetClient c = netClient.get();
        if (c == null) {
            NetClientOptions o = new NetClientOptions()
                    .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                    .setTcpNoDelay(true);
            config.sourceAddress().ifPresent(o::setLocalAddress);
            tls.apply(o, config);
            NetClient created = VertxOwned.build(vertx, () -> vertx.createNetClient(o));
            if (netClient.compareAndSet(null, created)) {
                return created;
            }
            created.close();
            c = netClient.get();
        }
        return c;
    }

    /** Closes the pools. */
    public void close() {
        pools.close();
        NetClient c = netClient.get();
        if (c != null) {
            c.close();
        }
    }
}
