package io.isthmus.controller.config;

import io.isthmus.mesh.Locality;
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
 * @param tls how to talk to the destination, empty = ISTIO_MUTUAL for mesh services, plain for
 *     MESH_EXTERNAL ServiceEntries
 * @param portLevelSettings settings of single ports, overriding the others field by field
 */
public record TrafficPolicy(Optional<LoadBalancer> loadBalancer, Optional<ConnectionPool> connectionPool,
                            Optional<OutlierDetection> outlierDetection, Optional<Tls> tls,
                            List<PortSettings> portLevelSettings) {

    /** No settings. */
    public static final TrafficPolicy EMPTY = new TrafficPolicy(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty());

    public TrafficPolicy {
        Objects.requireNonNull(loadBalancer, "loadBalancer");
        Objects.requireNonNull(connectionPool, "connectionPool");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(tls, "tls");
        portLevelSettings = List.copyOf(portLevelSettings);
    }

    /** A policy without port-level settings. */
    public TrafficPolicy(Optional<LoadBalancer> loadBalancer, Optional<ConnectionPool> connectionPool,
            Optional<OutlierDetection> outlierDetection, Optional<Tls> tls) {
        this(loadBalancer, connectionPool, outlierDetection, tls, List.of());
    }

    /**
     * The settings of one port: its {@link PortSettings port-level settings} where given, this
     * policy's otherwise; the result has no port-level settings.
     */
    public TrafficPolicy forPort(int port) {
        Optional<PortSettings> ps = portLevelSettings.stream().filter(p -> p.port() == port).findFirst();
        if (ps.isEmpty()) {
            return portLevelSettings.isEmpty() ? this : new TrafficPolicy(loadBalancer, connectionPool, outlierDetection, tls);
        }
        PortSettings s = ps.get();
        return new TrafficPolicy(s.loadBalancer().or(() -> loadBalancer), s.connectionPool().or(() -> connectionPool),
                s.outlierDetection().or(() -> outlierDetection), s.tls().or(() -> tls));
    }

    /**
     * {@code portLevelSettings[]}: the policy of one port.
     *
     * @param port the service port
     * @param loadBalancer load balancer, empty = the policy's
     * @param connectionPool connection limits, empty = the policy's
     * @param outlierDetection ejection, empty = the policy's
     * @param tls TLS, empty = the policy's
     */
    public record PortSettings(int port, Optional<LoadBalancer> loadBalancer, Optional<ConnectionPool> connectionPool,
                               Optional<OutlierDetection> outlierDetection, Optional<Tls> tls) {
        public PortSettings {
            Objects.requireNonNull(loadBalancer, "loadBalancer");
            Objects.requireNonNull(connectionPool, "connectionPool");
            Objects.requireNonNull(outlierDetection, "outlierDetection");
            Objects.requireNonNull(tls, "tls");
        }
    }

    /** Load balancing algorithm. */
    public enum Simple { ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH }

    /**
     * Load balancer.
     *
     * @param simple the algorithm (default ROUND_ROBIN); not used when {@code consistentHash} is set
     * @param locality locality-aware settings, empty = failover by nearest locality
     * @param consistentHash sticky sessions by a request key, empty = none
     */
    public record LoadBalancer(Simple simple, Optional<LocalityLb> locality, Optional<ConsistentHash> consistentHash) {
        public LoadBalancer {
            Objects.requireNonNull(simple, "simple");
            Objects.requireNonNull(locality, "locality");
            Objects.requireNonNull(consistentHash, "consistentHash");
        }

        /** A load balancer without consistent hashing. */
        public LoadBalancer(Simple simple, Optional<LocalityLb> locality) {
            this(simple, locality, Optional.empty());
        }
    }

    /**
     * {@code localityLbSetting}.
     *
     * @param enabled whether locality-aware balancing is on (default true)
     * @param failover explicit region failover: traffic from {@code from} fails over to {@code to}
     * @param failoverPriority ordered label keys (e.g. {@code topology.istio.io/network}) whose equality
     *     with the proxy's decides priority, as Istio's {@code failoverPriority}
     * @param distribute explicit weights per locality for proxies of given localities, as Istio's
     *     {@code distribute} (not together with the two above)
     */
    public record LocalityLb(boolean enabled, List<Failover> failover, List<String> failoverPriority, List<Distribute> distribute) {
        public LocalityLb {
            failover = List.copyOf(failover);
            failoverPriority = List.copyOf(failoverPriority);
            distribute = List.copyOf(distribute);
        }

        /** Settings without {@code distribute}. */
        public LocalityLb(boolean enabled, List<Failover> failover, List<String> failoverPriority) {
            this(enabled, failover, failoverPriority, List.of());
        }

        /** The first {@code distribute} rule whose {@code from} matches a proxy's locality, as Istio picks it. */
        public Optional<Distribute> distributeFrom(Locality proxy) {
            return distribute.stream().filter(d -> localityMatches(proxy, d.from())).findFirst();
        }
    }

    /**
     * One {@code distribute} entry: a proxy in {@code from} sends each {@code to} locality its share of the traffic,
     * and none to localities no {@code to} names.
     *
     * @param from the proxies' locality, {@code region[/zone[/subzone]]} with {@code *} for a whole last segment
     * @param to target localities (same form) and their weights, 1..100, adding up to 100, in declaration order
     */
    public record Distribute(String from, List<DistributeTarget> to) {
        public Distribute {
            Objects.requireNonNull(from, "from");
            to = List.copyOf(to);
        }

        /**
         * The target an endpoint locality belongs to: the most specific {@code to} that matches it (the most
         * segments before any {@code *}), the first declared among equals; empty when none matches.
         */
        public Optional<DistributeTarget> targetOf(Locality l) {
            DistributeTarget best = null;
            for (DistributeTarget t : to) {
                if (localityMatches(l, t.locality()) && (best == null || specificity(t.locality()) > specificity(best.locality()))) {
                    best = t;
                }
            }
            return Optional.ofNullable(best);
        }
    }

    /** One {@code to} entry of a {@link Distribute}: a locality pattern and its weight. */
    public record DistributeTarget(String locality, int weight) {
        public DistributeTarget {
            Objects.requireNonNull(locality, "locality");
        }
    }

    /**
     * Istio's locality match: {@code region[/zone[/subzone]]}, where {@code *} or a missing segment matches any
     * value.
     */
    public static boolean localityMatches(Locality l, String pattern) {
        String[] p = pattern.split("/", -1);
        return segment(p, 0, l.region()) && segment(p, 1, l.zone()) && segment(p, 2, l.subZone());
    }

    private static boolean segment(String[] pattern, int i, String value) {
        return i >= pattern.length || pattern[i].equals("*") || pattern[i].equals(value);
    }

    /** How many leading segments of a locality pattern are not wildcards. */
    private static int specificity(String pattern) {
        int n = 0;
        for (String seg : pattern.split("/", -1)) {
            if (seg.equals("*")) {
                break;
            }
            n++;
        }
        return n;
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
     * @param idleTimeout http.idleTimeout: how long an upstream connection may stay idle; empty = Envoy's 1 h
     * @param h2UpgradePolicy http.h2UpgradePolicy: whether HTTP/1.1 ports are spoken as HTTP/2 to the upstream
     */
    public record ConnectionPool(int maxConnections, Optional<Duration> connectTimeout, int http1MaxPendingRequests,
                                 int http2MaxRequests, int maxRequestsPerConnection, int maxRetries,
                                 Optional<Duration> idleTimeout, H2UpgradePolicy h2UpgradePolicy) {
        public ConnectionPool {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(h2UpgradePolicy, "h2UpgradePolicy");
            if (maxRequestsPerConnection < 0) {
                throw new IllegalArgumentException("maxRequestsPerConnection must not be negative");
            }
        }
    }

    /**
     * Istio's {@code connectionPool.http.h2UpgradePolicy}: {@code UPGRADE} speaks HTTP/2 to the upstream of an HTTP/1.1
     * port (one multiplexed connection instead of one per request in flight); {@code DEFAULT} is the mesh's default,
     * which is not to upgrade, as Istio's.
     */
    public enum H2UpgradePolicy { DEFAULT, DO_NOT_UPGRADE, UPGRADE }

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
    public enum TlsMode { ISTIO_MUTUAL, DISABLE, SIMPLE, MUTUAL }

    /**
     * {@code tls}: how the proxy talks to the destination.
     *
     * @param mode the mode
     * @param sni the server name to send, empty = the destination host (SIMPLE, MUTUAL) or the mesh
     *     SNI {@code outbound_.P_.subset_.host} (ISTIO_MUTUAL)
     * @param subjectAltNames names the server certificate must carry: DNS names (SIMPLE, MUTUAL;
     *     empty = the SNI) or SPIFFE IDs (ISTIO_MUTUAL; empty = the service's identities)
     * @param caCertificates a PEM file of CA certificates on the proxy's file system, empty = none
     * @param credentialName a Secret in the proxy's namespace (client certificate for MUTUAL, CA
     *     from its {@code ca.crt} or from {@code <name>-cacert} when no {@code caCertificates}),
     *     empty = none
     * @param insecureSkipVerify whether the server certificate is not verified at all
     */
    public record Tls(TlsMode mode, String sni, List<String> subjectAltNames, String caCertificates,
                      String credentialName, boolean insecureSkipVerify) {
        public Tls {
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(sni, "sni");
            subjectAltNames = List.copyOf(subjectAltNames);
            Objects.requireNonNull(caCertificates, "caCertificates");
            Objects.requireNonNull(credentialName, "credentialName");
        }

        /** Settings with a mode and SNI only. */
        public Tls(TlsMode mode, String sni) {
            this(mode, sni, List.of(), "", "", false);
        }

        static Tls parse(Fields t) {
            for (String file : List.of("clientCertificate", "privateKey")) {
                if (t.has(file)) {
                    throw t.error(file, "client certificate files are not supported: put the certificate and key in a"
                            + " Secret and name it in credentialName");
                }
            }
            t.allowOnly("mode", "sni", "subjectAltNames", "caCertificates", "credentialName", "insecureSkipVerify");
            TlsMode mode = t.enumValue("mode", TlsMode.class, null);
            if (mode == null) {
                throw t.error("mode", "required");
            }
            String sni = t.str("sni", "");
            List<String> sans = t.strings("subjectAltNames");
            for (int i = 0; i < sans.size(); i++) {
                if (sans.get(i).isBlank()) {
                    throw t.error("subjectAltNames[" + i + "]", "must not be empty");
                }
            }
            String ca = t.str("caCertificates", "");
            String credential = t.str("credentialName", "");
            Boolean skip = t.bool("insecureSkipVerify");
            boolean insecure = skip != null && skip;
            switch (mode) {
                case DISABLE -> {
                    for (String other : List.of("sni", "subjectAltNames", "caCertificates", "credentialName",
                            "insecureSkipVerify")) {
                        if (t.has(other)) {
                            throw t.error(other, "not allowed with mode DISABLE (plaintext)");
                        }
                    }
                }
                case ISTIO_MUTUAL -> {
                    for (String other : List.of("caCertificates", "credentialName", "insecureSkipVerify")) {
                        if (t.has(other)) {
                            throw t.error(other, "not allowed with mode ISTIO_MUTUAL (the mesh's certificates and"
                                    + " trust bundle are used); use SIMPLE or MUTUAL");
                        }
                    }
                }
                case SIMPLE, MUTUAL -> {
                    if (!credential.isEmpty() && !credential.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?")) {
                        throw t.error("credentialName", "must be the name of a Secret in the proxy's namespace, got "
                                + credential);
                    }
                    if (mode == TlsMode.MUTUAL && credential.isEmpty()) {
                        throw t.error("credentialName", "MUTUAL needs credentialName, the Secret with the client"
                                + " certificate and key (tls.crt/tls.key or cert/key)");
                    }
                    if (ca.isEmpty() && credential.isEmpty() && !insecure) {
                        throw t.error("caCertificates", mode + " needs a CA to verify the server: caCertificates (a PEM"
                                + " file on the proxy), credentialName (a Secret with ca.crt, or <name>-cacert), or"
                                + " insecureSkipVerify: true. Istio would fall back to the system's root certificates;"
                                + " Isthmus proxies have no system roots");
                    }
                }
            }
            return new Tls(mode, sni, sans, ca, credential, insecure);
        }
    }

    static TrafficPolicy parse(Fields f) {
        if (f == null) {
            return EMPTY;
        }
        f.allowOnly("loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings");
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        List<PortSettings> ports = f.each("portLevelSettings", p -> {
            p.allowOnly("port", "loadBalancer", "connectionPool", "outlierDetection", "tls");
            Fields pf = p.obj("port");
            if (pf == null) {
                throw p.error("port", "required");
            }
            pf.allowOnly("number");
            int number = pf.integer("number", 0, 1, 65535);
            if (number == 0) {
                throw pf.error("number", "required");
            }
            if (!seen.add(number)) {
                throw pf.error("number", "port " + number + " has more than one portLevelSettings entry");
            }
            return new PortSettings(number, Optional.ofNullable(p.obj("loadBalancer")).map(TrafficPolicy::loadBalancer),
                    Optional.ofNullable(p.obj("connectionPool")).map(TrafficPolicy::connectionPool),
                    Optional.ofNullable(p.obj("outlierDetection")).map(TrafficPolicy::outlier),
                    Optional.ofNullable(p.obj("tls")).map(Tls::parse));
        });
        return new TrafficPolicy(
                Optional.ofNullable(f.obj("loadBalancer")).map(TrafficPolicy::loadBalancer),
                Optional.ofNullable(f.obj("connectionPool")).map(TrafficPolicy::connectionPool),
                Optional.ofNullable(f.obj("outlierDetection")).map(TrafficPolicy::outlier),
                Optional.ofNullable(f.obj("tls")).map(Tls::parse), ports);
    }

    private static LoadBalancer loadBalancer(Fields lb) {
        lb.allowOnly("simple", "localityLbSetting", "consistentHash");
        Simple simple = lb.enumValue("simple", Simple.class, Simple.ROUND_ROBIN);
        Optional<LocalityLb> locality = Optional.ofNullable(lb.obj("localityLbSetting")).map(TrafficPolicy::localityLb);
        Optional<ConsistentHash> hash = Optional.ofNullable(lb.obj("consistentHash")).map(ConsistentHash::parse);
        if (hash.isPresent() && lb.has("simple")) {
            throw lb.error("consistentHash", "simple and consistentHash cannot both be set");
        }
        return new LoadBalancer(simple, locality, hash);
    }

    /** A {@code localityLbSetting} object: a DestinationRule's, or the MeshConfig's mesh-wide one. */
    static LocalityLb localityLb(Fields l) {
        l.allowOnly("enabled", "failover", "failoverPriority", "distribute");
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
        List<Distribute> distribute = l.each("distribute", TrafficPolicy::distribute);
        if (!distribute.isEmpty()) {
            if (!failover.isEmpty() || !priority.isEmpty()) {
                throw l.error("distribute", "distribute cannot be set together with failover or failoverPriority");
            }
            if (enabled != null && !enabled) {
                throw l.error("distribute", "distribute needs locality load balancing enabled");
            }
            java.util.Set<String> froms = new java.util.HashSet<>();
            for (int i = 0; i < distribute.size(); i++) {
                if (!froms.add(distribute.get(i).from())) {
                    throw l.error("distribute[" + i + "].from", "'" + distribute.get(i).from() + "' is already the from of an earlier entry");
                }
            }
        }
        return new LocalityLb(enabled == null || enabled, failover, priority, distribute);
    }

    private static Distribute distribute(Fields d) {
        d.allowOnly("from", "to");
        String from = d.requiredStr("from");
        checkLocality(d, "from", from);
        Fields to = d.obj("to");
        if (to == null || to.stringKeys().isEmpty()) {
            throw d.error("to", "at least one locality with its weight is required");
        }
        List<DistributeTarget> targets = new java.util.ArrayList<>();
        int sum = 0;
        for (String locality : to.stringKeys()) {
            checkLocality(to, locality, locality);
            int w = to.integer(locality, 0, 1, 100);
            sum += w;
            targets.add(new DistributeTarget(locality, w));
        }
        if (sum != 100) {
            throw d.error("to", "weights must add up to 100, got " + sum);
        }
        return new Distribute(from, targets);
    }

    /** {@code region[/zone[/subzone]]}: no empty segment, {@code *} only as the whole last segment. */
    private static void checkLocality(Fields f, String field, String locality) {
        String[] seg = locality.split("/", -1);
        if (seg.length > 3) {
            throw f.error(field, "a locality is region[/zone[/subzone]], got '" + locality + "'");
        }
        for (int i = 0; i < seg.length; i++) {
            if (seg[i].isEmpty() || seg[i].chars().anyMatch(Character::isWhitespace)) {
                throw f.error(field, "a locality has no empty segment or spaces, got '" + locality + "'");
            }
            if (seg[i].contains("*") && (!seg[i].equals("*") || i != seg.length - 1)) {
                throw f.error(field, "'*' may only be the whole last segment of a locality, got '" + locality + "'");
            }
        }
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
        Duration idle = null;
        H2UpgradePolicy upgrade = H2UpgradePolicy.DEFAULT;
        if (http != null) {
            http.allowOnly("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries",
                    "idleTimeout", "h2UpgradePolicy");
            upgrade = http.enumValue("h2UpgradePolicy", H2UpgradePolicy.class, H2UpgradePolicy.DEFAULT);
            idle = http.duration("idleTimeout");
            pending = http.integer("http1MaxPendingRequests", 0, 1, Integer.MAX_VALUE);
            h2 = http.integer("http2MaxRequests", 0, 1, Integer.MAX_VALUE);
            perConn = http.integer("maxRequestsPerConnection", 0, 0, Integer.MAX_VALUE);
            retries = http.integer("maxRetries", 0, 0, Integer.MAX_VALUE);
        }
        return new ConnectionPool(maxConnections, Optional.ofNullable(connectTimeout), pending, h2, perConn, retries,
                Optional.ofNullable(idle), upgrade);
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
