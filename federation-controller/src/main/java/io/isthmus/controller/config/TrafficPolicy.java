package io.isthmus.controller.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A DestinationRule's (or subset's) traffic policy, the supported subset.
 *
 * @param loadBalancer the load balancer, empty = ROUND_ROBIN with locality failover
 * @param connectionPool connection limits, empty = Envoy's defaults
 * @param outlierDetection ejection of failing endpoints, empty = the mesh default
 * @param tls how to talk to the destination, empty = ISTIO_MUTUAL
 */
public record TrafficPolicy(Optional<LoadBalancer> loadBalancer, Optional<ConnectionPool> connectionPool,
                            Optional<OutlierDetection> outlierDetection, Optional<Tls> tls) {

    /** No settings. */
    public static final TrafficPolicy EMPTY = new TrafficPolicy(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    public TrafficPolicy {
        Objects.requireNonNull(loadBalancer, "loadBalancer");
        Objects.requireNonNull(connectionPool, "connectionPool");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(tls, "tls");
    }

    /** Load balancing algorithm. */
    public enum Simple { ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH }

    /**
     * Load balancer.
     *
     * @param simple the algorithm (default ROUND_ROBIN)
     * @param locality locality-aware settings, empty = failover by nearest locality
     */
    public record LoadBalancer(Simple simple, Optional<LocalityLb> locality) {
        public LoadBalancer {
            Objects.requireNonNull(simple, "simple");
            Objects.requireNonNull(locality, "locality");
        }
    }

    /**
     * {@code localityLbSetting}.
     *
     * @param enabled whether locality-aware balancing is on (default true)
     * @param failover explicit region failover: traffic from {@code from} fails over to {@code to}
     * @param failoverPriority ordered label keys (e.g. {@code topology.istio.io/network}) whose equality
     *     with the proxy's decides priority, as Istio's {@code failoverPriority}
     */
    public record LocalityLb(boolean enabled, List<Failover> failover, List<String> failoverPriority) {
        public LocalityLb {
            failover = List.copyOf(failover);
            failoverPriority = List.copyOf(failoverPriority);
        }
    }

    /** One {@code failover} entry: region {@code from} fails over to region {@code to}. */
    public record Failover(String from, String to) {
        public Failover {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * Connection pool limits; 0 = unset (Envoy's default).
     *
     * @param maxConnections tcp.maxConnections
     * @param connectTimeout tcp.connectTimeout, empty = 1 s mesh default
     * @param http1MaxPendingRequests http.http1MaxPendingRequests
     * @param http2MaxRequests http.http2MaxRequests
     * @param maxRequestsPerConnection http.maxRequestsPerConnection
     * @param maxRetries http.maxRetries (concurrent retries)
     */
    public record ConnectionPool(int maxConnections, Optional<Duration> connectTimeout, int http1MaxPendingRequests,
                                 int http2MaxRequests, int maxRequestsPerConnection, int maxRetries) {
        public ConnectionPool {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
        }
    }

    /**
     * Outlier detection.
     *
     * @param consecutive5xxErrors ejections after this many 5xx in a row (0 disables)
     * @param consecutiveGatewayErrors ejections after this many 502/503/504 in a row (0 disables)
     * @param interval sweep interval (default 10 s)
     * @param baseEjectionTime minimum ejection time (default 30 s)
     * @param maxEjectionPercent at most this share of endpoints ejected (default 10)
     */
    public record OutlierDetection(int consecutive5xxErrors, int consecutiveGatewayErrors, Duration interval,
                                   Duration baseEjectionTime, int maxEjectionPercent) {
        public OutlierDetection {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        }
    }

    /** TLS mode toward the destination. */
    public enum TlsMode { ISTIO_MUTUAL, DISABLE, SIMPLE }

    /**
     * TLS settings.
     *
     * @param mode the mode
     * @param sni the server name for SIMPLE, empty = the host
     */
    public record Tls(TlsMode mode, String sni) {
        public Tls {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(sni, "sni");
        }
    }

    static TrafficPolicy parse(Fields f) {
        if (f == null) {
            return EMPTY;
        }
        f.allowOnly("loadBalancer", "connectionPool", "outlierDetection", "tls");
        return new TrafficPolicy(
                Optional.ofNullable(f.obj("loadBalancer")).map(TrafficPolicy::loadBalancer),
                Optional.ofNullable(f.obj("connectionPool")).map(TrafficPolicy::connectionPool),
                Optional.ofNullable(f.obj("outlierDetection")).map(TrafficPolicy::outlier),
                Optional.ofNullable(f.obj("tls")).map(t -> {
                    t.allowOnly("mode", "sni");
                    TlsMode mode = t.enumValue("mode", TlsMode.class, null);
                    if (mode == null) {
                        throw t.error("mode", "required");
                    }
                    return new Tls(mode, t.str("sni", ""));
                }));
    }

    private static LoadBalancer loadBalancer(Fields lb) {
        lb.allowOnly("simple", "localityLbSetting");
        Simple simple = lb.enumValue("simple", Simple.class, Simple.ROUND_ROBIN);
        Optional<LocalityLb> locality = Optional.ofNullable(lb.obj("localityLbSetting")).map(l -> {
            l.allowOnly("enabled", "failover", "failoverPriority");
            Boolean enabled = l.bool("enabled");
            List<Failover> failover = l.each("failover", fo -> {
                fo.allowOnly("from", "to");
                return new Failover(fo.requiredStr("from"), fo.requiredStr("to"));
            });
            List<String> priority = l.strings("failoverPriority");
            if (!failover.isEmpty() && !priority.isEmpty()) {
                // Istio allows both; Isthmus keeps them apart to keep the priority rules simple.
                throw l.error("failover", "failover and failoverPriority cannot both be set");
            }
            for (int i = 0; i < priority.size(); i++) {
                if (priority.get(i).isBlank()) {
                    throw l.error("failoverPriority[" + i + "]", "must not be empty");
                }
            }
            return new LocalityLb(enabled == null || enabled, failover, priority);
        });
        return new LoadBalancer(simple, locality);
    }

    private static ConnectionPool connectionPool(Fields cp) {
        cp.allowOnly("tcp", "http");
        Fields tcp = cp.obj("tcp");
        Fields http = cp.obj("http");
        int maxConnections = 0;
        Duration connectTimeout = null;
        if (tcp != null) {
            tcp.allowOnly("maxConnections", "connectTimeout");
            maxConnections = tcp.integer("maxConnections", 0, 1, Integer.MAX_VALUE);
            connectTimeout = tcp.duration("connectTimeout");
        }
        int pending = 0;
        int h2 = 0;
        int perConn = 0;
        int retries = 0;
        if (http != null) {
            http.allowOnly("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries");
            pending = http.integer("http1MaxPendingRequests", 0, 1, Integer.MAX_VALUE);
            h2 = http.integer("http2MaxRequests", 0, 1, Integer.MAX_VALUE);
            perConn = http.integer("maxRequestsPerConnection", 0, 0, Integer.MAX_VALUE);
            retries = http.integer("maxRetries", 0, 0, Integer.MAX_VALUE);
        }
        return new ConnectionPool(maxConnections, Optional.ofNullable(connectTimeout), pending, h2, perConn, retries);
    }

    private static OutlierDetection outlier(Fields od) {
        od.allowOnly("consecutive5xxErrors", "consecutiveGatewayErrors", "interval", "baseEjectionTime",
                "maxEjectionPercent");
        Duration interval = od.duration("interval");
        Duration base = od.duration("baseEjectionTime");
        return new OutlierDetection(od.integer("consecutive5xxErrors", 5, 0, Integer.MAX_VALUE),
                od.integer("consecutiveGatewayErrors", 0, 0, Integer.MAX_VALUE),
                interval == null ? Duration.ofSeconds(10) : interval,
                base == null ? Duration.ofSeconds(30) : base,
                od.integer("maxEjectionPercent", 10, 0, 100));
    }
}
