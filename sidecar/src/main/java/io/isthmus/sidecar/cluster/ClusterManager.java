package io.isthmus.sidecar.cluster;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.isthmus.sidecar.endpoint.EndpointTranslator;
import io.isthmus.sidecar.endpoint.LoadAssignment;
import io.isthmus.sidecar.endpoint.DnsAssignments;
import io.isthmus.sidecar.endpoint.HostResolver;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.OriginationTls;
import io.isthmus.sidecar.tls.SecretLookup;
import io.isthmus.trust.CertifiedKey;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clusters in force and their endpoints. CDS and EDS updates are validated completely before
 * anything changes, then published as a new immutable map (read lock-free by the event loops).
 * Endpoint state (ejections, active requests) survives updates; the last assignment of a name is
 * kept so that a cluster added after its endpoints still gets them. STRICT_DNS and LOGICAL_DNS
 * clusters get their endpoints from a {@link DnsRefresher} each, which lives as long as the cluster's
 * DNS settings stay the same. Updates come from one thread.
 */
public final class ClusterManager {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterManager.class);

    private final Vertx vertx;
    private final ClusterTls tls;
    private final LongSupplier nanoClock;
    private final RandomGenerator random;
    private final Duration drainTime;
    private final MeterRegistry meters;
    private volatile Map<String, UpstreamCluster> clusters = Map.of();
    private final Map<String, ClusterLoadAssignment> assignments = new HashMap<>();
    private final Map<String, DnsRefresher> refreshers = new HashMap<>();
    private final OutlierIntervals outlierIntervals;
    private volatile HostResolver resolver = HostResolver.SYSTEM;
    private volatile SecretLookup secrets = SecretLookup.NONE;

    /**
     * @param vertx for the connection pools
     * @param tls upstream mesh TLS settings (origination builds on its certificate source)
     * @param nanoClock monotonic time
     * @param random load balancing randomness
     * @param drainTime how long a removed cluster's pools stay open for requests in flight
     * @param meters where DNS resolution counts go
     */
    public ClusterManager(Vertx vertx, MeshTls tls, LongSupplier nanoClock, RandomGenerator random, Duration drainTime,
                          MeterRegistry meters) {
        this.vertx = vertx;
        this.tls = new ClusterTls(tls, new OriginationTls(new SecretLookup() {
            @Override
            public Optional<CertifiedKey> certificate(String name) {
                return secrets.certificate(name);
            }

            @Override
            public Optional<List<X509Certificate>> trustedCa(String name) {
                return secrets.trustedCa(name);
            }
        }, tls.source()));
        this.nanoClock = nanoClock;
        this.random = random;
        this.drainTime = drainTime;
        this.meters = meters;
        this.outlierIntervals = new OutlierIntervals(vertx, this::cluster);
    }

    /** Resolves the hosts of DNS clusters created from now on with {@code resolver} (default: the system resolver). */
    public void useResolver(HostResolver resolver) {
        this.resolver = java.util.Objects.requireNonNull(resolver, "resolver");
    }

    /** Reads the named SDS secrets of TLS origination from {@code secrets}, at every handshake from now on. */
    public void useSecrets(SecretLookup secrets) {
        this.secrets = java.util.Objects.requireNonNull(secrets, "secrets");
    }

    /** The cluster of that name. */
    public Optional<UpstreamCluster> cluster(String name) {
        return Optional.ofNullable(clusters.get(name));
    }

    /** Every cluster in force. */
    public Map<String, UpstreamCluster> clusters() {
        return clusters;
    }

    /** Puts exactly these clusters in force, or changes nothing and throws. */
    public void applyClusters(Map<String, Cluster> resources) throws InvalidResourceException {
        Map<String, ClusterConfig> configs = new LinkedHashMap<>();
        for (var e : resources.entrySet()) {
            ClusterConfig c = ClusterTranslator.translate(e.getValue());
            configs.put(c.name(), c);
        }
        Map<String, UpstreamCluster> old = clusters;
        Map<String, UpstreamCluster> next = new HashMap<>();
        List<UpstreamCluster> retired = new ArrayList<>();
        for (ClusterConfig c : configs.values()) {
            UpstreamCluster prev = old.get(c.name());
            UpstreamCluster u;
            if (prev == null) {
                u = UpstreamCluster.create(vertx, tls, c, nanoClock, random);
            } else if (prev.config().equals(c)) {
                u = prev;
            } else {
                u = prev.reconfigure(vertx, tls, c, random);
                if (!prev.sharesClient(u)) {
                    retired.add(prev);
                }
            }
            if (c.discovery() == ClusterConfig.Discovery.EDS && prev == null) {
                ClusterLoadAssignment cla = assignments.get(c.edsServiceName());
                if (cla != null) {
                    try {
                        u.updateEndpoints(EndpointTranslator.translate(cla, EndpointTranslator.keeping(null)));
                    } catch (InvalidResourceException e) {
                        LOG.warn("stored assignment no longer valid [{}]: {}", c.name(), e.getMessage());
                    }
                }
            }
            next.put(c.name(), u);
        }
        for (var e : old.entrySet()) {
            if (!next.containsKey(e.getKey())) {
                retired.add(e.getValue());
            }
        }
        clusters = Map.copyOf(next);
        refreshDns(configs);
        outlierIntervals.update(configs);
        for (UpstreamCluster r : retired) {
            vertx.setTimer(Math.max(1, drainTime.toMillis()), id -> r.close());
        }
        LOG.info("clusters in force [{}] added={} removed={}", next.size(),
                next.keySet().stream().filter(k -> !old.containsKey(k)).count(),
                old.keySet().stream().filter(k -> !next.containsKey(k)).count());
    }

    /** Keeps one refresher per DNS cluster whose settings are unchanged, starts new ones, stops the rest. */
    private void refreshDns(Map<String, ClusterConfig> configs) {
        for (var it = refreshers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            ClusterConfig c = configs.get(e.getKey());
            if (c == null || c.dns().isEmpty() || !c.dns().get().equals(e.getValue().config())) {
                e.getValue().close();
                it.remove();
            }
        }
        for (ClusterConfig c : configs.values()) {
            if (c.dns().isEmpty() || refreshers.containsKey(c.name())) {
                continue;
            }
            DnsConfig dns = c.dns().get();
            boolean logical = c.discovery() == ClusterConfig.Discovery.LOGICAL_DNS;
            DnsRefresher r = new DnsRefresher(vertx, c.name(), dns, resolver, meters,
                    addresses -> publishDns(c.name(), dns, logical, addresses));
            refreshers.put(c.name(), r);
            r.start();
        }
    }

    private void publishDns(String name, DnsConfig dns, boolean logical, Map<String, List<InetAddress>> addresses) {
        UpstreamCluster u = clusters.get(name);
        if (u == null || !u.config().dns().equals(Optional.of(dns))) {
            return;
        }
        u.updateEndpoints(DnsAssignments.expand(dns.targets(), addresses, logical, EndpointTranslator.keeping(u.assignment())));
    }

    /** Puts these endpoint assignments in force, or changes nothing and throws. */
    public void applyEndpoints(Map<String, ClusterLoadAssignment> resources) throws InvalidResourceException {
        Map<String, UpstreamCluster> current = clusters;
        Map<String, List<UpstreamCluster>> byEdsName = new HashMap<>();
        for (UpstreamCluster u : current.values()) {
            if (u.config().discovery() == ClusterConfig.Discovery.EDS) {
                byEdsName.computeIfAbsent(u.config().edsServiceName(), k -> new ArrayList<>()).add(u);
            }
        }
        Map<UpstreamCluster, LoadAssignment> updates = new HashMap<>();
        for (var e : resources.entrySet()) {
            ClusterLoadAssignment cla = e.getValue().getClusterName().isEmpty()
                    ? e.getValue().toBuilder().setClusterName(e.getKey()).build() : e.getValue();
            for (UpstreamCluster u : byEdsName.getOrDefault(cla.getClusterName(), List.of())) {
                updates.put(u, EndpointTranslator.translate(cla, EndpointTranslator.keeping(u.assignment())));
            }
            EndpointTranslator.translate(cla, EndpointTranslator.keeping(null));
        }
        assignments.clear();
        for (var e : resources.entrySet()) {
            assignments.put(e.getValue().getClusterName().isEmpty() ? e.getKey() : e.getValue().getClusterName(), e.getValue());
        }
        for (var e : byEdsName.entrySet()) {
            if (!assignments.containsKey(e.getKey())) {
                for (UpstreamCluster u : e.getValue()) {
                    u.updateEndpoints(LoadAssignment.empty(u.name()));
                }
            }
        }
        updates.forEach(UpstreamCluster::updateEndpoints);
    }

    /** Closes every cluster's pools. */
    public void close() {
        outlierIntervals.close();
        refreshers.values().forEach(DnsRefresher::close);
        refreshers.clear();
        clusters.values().forEach(UpstreamCluster::close);
        clusters = Map.of();
    }
}
