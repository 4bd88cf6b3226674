package io.isthmus.controller.registry;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A federated registry held in this JVM's memory: the standalone registry, and the local replica of
 * the Hazelcast one (which feeds it through {@link #applyService}, {@link #applyGateways} and
 * {@link #applyStatus}). Thread-safe; listeners are called one at a time, after the change is visible.
 */
public final class InMemoryRegistry implements FederatedRegistry, RegistryWriter {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryRegistry.class);

    private final Map<String, FederatedService> services = new ConcurrentHashMap<>();
    private final Map<String, List<NetworkGateway>> gatewaysByCluster = new ConcurrentHashMap<>();
    private final Map<String, ClusterStatus> statuses = new ConcurrentHashMap<>();
    /** {@code cluster|address} and {@code cluster|namespace|pod} → hostnames; guarded by {@code this}. */
    private final Map<String, Set<String>> workloadIndex = new HashMap<>();
    private final List<RegistryListener> listeners = new CopyOnWriteArrayList<>();
    private final Object dispatchLock = new Object();
    private final Clock clock;

    public InMemoryRegistry() {
        this(Clock.systemUTC());
    }

    public InMemoryRegistry(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // ---- read side

    @Override
    public Collection<FederatedService> services() {
        return List.copyOf(services.values());
    }

    @Override
    public Optional<FederatedService> service(String hostname) {
        return Optional.ofNullable(services.get(hostname));
    }

    @Override
    public List<NetworkGateway> gateways() {
        List<NetworkGateway> all = new ArrayList<>();
        new TreeMap<>(gatewaysByCluster).values().forEach(all::addAll);
        return List.copyOf(all);
    }

    @Override
    public List<ClusterStatus> clusters() {
        Map<String, int[]> counts = new HashMap<>();
        for (FederatedService fs : services.values()) {
            for (ClusterService cs : fs.clusters().values()) {
                int[] c = counts.computeIfAbsent(cs.cluster(), k -> new int[2]);
                c[0]++;
                c[1] += cs.endpoints().size();
            }
        }
        List<ClusterStatus> out = new ArrayList<>();
        for (ClusterStatus s : new TreeMap<>(statuses).values()) {
            int[] c = counts.getOrDefault(s.name(), new int[2]);
            out.add(new ClusterStatus(s.name(), s.state(), s.reason(), s.since(), c[0], c[1]));
        }
        return out;
    }

    @Override
    public Optional<WorkloadInstance> workload(String cluster, String namespace, String podNameOrAddress) {
        Set<String> hosts;
        synchronized (this) {
            Set<String> byPod = workloadIndex.get(cluster + "|" + namespace + "|" + podNameOrAddress);
            Set<String> byIp = workloadIndex.get(cluster + "|" + podNameOrAddress);
            hosts = byPod != null ? Set.copyOf(byPod) : byIp != null ? Set.copyOf(byIp) : Set.of();
        }
        WorkloadEndpoint found = null;
        Set<String> backed = new HashSet<>();
        for (String h : hosts) {
            FederatedService fs = services.get(h);
            ClusterService cs = fs == null ? null : fs.clusters().get(cluster);
            if (cs == null) {
                continue;
            }
            for (WorkloadEndpoint e : cs.endpoints()) {
                if (e.namespace().equals(namespace)
                        && (e.podName().equals(podNameOrAddress) || e.address().equals(podNameOrAddress))) {
                    found = found == null ? e : found;
                    backed.add(h);
                }
            }
        }
        if (found == null) {
            return Optional.empty();
        }
        return Optional.of(new WorkloadInstance(cluster, namespace, found.podName(), found.address(), found.labels(),
                found.serviceAccount(), backed));
    }

    @Override
    public AutoCloseable addListener(RegistryListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    // ---- write side (standalone)

    @Override
    public void putService(ClusterService service) {
        synchronized (this) {
            FederatedService old = services.get(service.hostname());
            Map<String, ClusterService> parts = old == null ? new HashMap<>() : new HashMap<>(old.clusters());
            if (service.equals(parts.put(service.cluster(), service))) {
                return;
            }
            setService(service.hostname(), FederatedService.merge(parts.values()));
        }
        fire(RegistryChange.services(Set.of(service.hostname())));
    }

    @Override
    public void removeService(String cluster, String hostname) {
        synchronized (this) {
            if (!removeServiceLocked(cluster, hostname)) {
                return;
            }
        }
        fire(RegistryChange.services(Set.of(hostname)));
    }

    @Override
    public void replaceCluster(String cluster, Collection<ClusterService> newServices) {
        Set<String> changed = new HashSet<>();
        synchronized (this) {
            Set<String> keep = new HashSet<>();
            for (ClusterService cs : newServices) {
                if (!cs.cluster().equals(cluster)) {
                    throw new IllegalArgumentException("service " + cs.hostname() + " of " + cs.cluster()
                            + " in a resync of " + cluster);
                }
                keep.add(cs.hostname());
                FederatedService old = services.get(cs.hostname());
                Map<String, ClusterService> parts = old == null ? new HashMap<>() : new HashMap<>(old.clusters());
                if (!cs.equals(parts.put(cluster, cs))) {
                    setService(cs.hostname(), FederatedService.merge(parts.values()));
                    changed.add(cs.hostname());
                }
            }
            for (String h : hostnamesOf(cluster)) {
                if (!keep.contains(h) && removeServiceLocked(cluster, h)) {
                    changed.add(h);
                }
            }
        }
        fire(RegistryChange.services(changed));
    }

    @Override
    public void replaceGateways(String cluster, Collection<NetworkGateway> gateways) {
        List<NetworkGateway> next = List.copyOf(gateways);
        List<NetworkGateway> old = next.isEmpty() ? gatewaysByCluster.remove(cluster)
                : gatewaysByCluster.put(cluster, next);
        applyGatewayChange(old == null ? List.of() : old, next);
    }

    @Override
    public void putStatus(ClusterStatus status) {
        applyStatus(status.name(), status);
    }

    @Override
    public void markStale(String cluster) {
        Set<String> changed = new HashSet<>();
        synchronized (this) {
            for (String h : hostnamesOf(cluster)) {
                FederatedService fs = services.get(h);
                ClusterService cs = fs.clusters().get(cluster);
                List<WorkloadEndpoint> eps = cs.endpoints().stream()
                        .map(e -> e.health() == EndpointHealth.HEALTHY ? e.withHealth(EndpointHealth.STALE) : e)
                        .toList();
                if (!eps.equals(cs.endpoints())) {
                    Map<String, ClusterService> parts = new HashMap<>(fs.clusters());
                    parts.put(cluster, cs.withEndpoints(eps));
                    setService(h, FederatedService.merge(parts.values()));
                    changed.add(h);
                }
            }
        }
        fire(RegistryChange.services(changed));
    }

    @Override
    public void removeCluster(String cluster) {
        replaceCluster(cluster, List.of());
        replaceGateways(cluster, List.of());
        applyStatus(cluster, null);
    }

    // ---- replica side: applied from a shared store's events

    /** Sets (or with null removes) the merged service of a hostname and notifies listeners. */
    public void applyService(String hostname, FederatedService service) {
        Map<String, FederatedService> one = new HashMap<>();
        one.put(hostname, service);
        applyServices(one);
    }

    /**
     * Sets several merged services at once (a null value removes that hostname) and notifies
     * listeners once with every hostname that changed.
     */
    public void applyServices(Map<String, FederatedService> batch) {
        Set<String> changed = new HashSet<>();
        synchronized (this) {
            for (Map.Entry<String, FederatedService> e : batch.entrySet()) {
                if (!Objects.equals(services.get(e.getKey()), e.getValue())) {
                    setService(e.getKey(), e.getValue());
                    changed.add(e.getKey());
                }
            }
        }
        fire(RegistryChange.services(changed));
    }

    /** The hostnames that have endpoints or ports from this cluster. */
    public List<String> hostnames(String cluster) {
        return hostnamesOf(cluster);
    }

    /** Sets (empty list removes) the gateways announced by one cluster and notifies listeners. */
    public void applyGateways(String cluster, List<NetworkGateway> gateways) {
        replaceGateways(cluster, gateways);
    }

    /** Sets (or with null removes) a cluster's status and notifies listeners. */
    public void applyStatus(String cluster, ClusterStatus status) {
        ClusterStatus old = status == null ? statuses.remove(cluster) : statuses.put(cluster, status);
        if (!Objects.equals(old, status)) {
            if (status != null && (old == null || old.state() != status.state())) {
                LOG.info("cluster state [{}] {} {}", cluster, status.state(), status.reason());
            }
            fire(new RegistryChange(Set.of(), Set.of(), Set.of(cluster)));
        }
    }

    /** The clock used for status timestamps. */
    public Clock clock() {
        return clock;
    }

    // ---- internals

    private void applyGatewayChange(List<NetworkGateway> old, List<NetworkGateway> next) {
        if (old.equals(next)) {
            return;
        }
        Set<String> networks = new HashSet<>();
        old.forEach(g -> networks.add(g.network()));
        next.forEach(g -> networks.add(g.network()));
        fire(new RegistryChange(Set.of(), networks, Set.of()));
    }

    private List<String> hostnamesOf(String cluster) {
        return services.values().stream().filter(fs -> fs.clusters().containsKey(cluster))
                .map(FederatedService::hostname).toList();
    }

    private boolean removeServiceLocked(String cluster, String hostname) {
        FederatedService old = services.get(hostname);
        if (old == null || !old.clusters().containsKey(cluster)) {
            return false;
        }
        Map<String, ClusterService> parts = new HashMap<>(old.clusters());
        parts.remove(cluster);
        setService(hostname, parts.isEmpty() ? null : FederatedService.merge(parts.values()));
        return true;
    }

    /** Stores the service and keeps the workload index in step; caller holds {@code this}. */
    private void setService(String hostname, FederatedService next) {
        FederatedService old = next == null ? services.remove(hostname) : services.put(hostname, next);
        if (old != null) {
            for (WorkloadEndpoint e : old.endpoints()) {
                unindex(e.cluster() + "|" + e.address(), hostname);
                unindex(e.cluster() + "|" + e.namespace() + "|" + e.podName(), hostname);
            }
        }
        if (next != null) {
            for (WorkloadEndpoint e : next.endpoints()) {
                workloadIndex.computeIfAbsent(e.cluster() + "|" + e.address(), k -> new HashSet<>()).add(hostname);
                if (!e.podName().isEmpty()) {
                    workloadIndex.computeIfAbsent(e.cluster() + "|" + e.namespace() + "|" + e.podName(),
                            k -> new HashSet<>()).add(hostname);
                }
            }
        }
    }

    private void unindex(String key, String hostname) {
        Set<String> s = workloadIndex.get(key);
        if (s != null && s.remove(hostname) && s.isEmpty()) {
            workloadIndex.remove(key);
        }
    }

    private void fire(RegistryChange change) {
        if (change.isEmpty()) {
            return;
        }
        synchronized (dispatchLock) {
            for (RegistryListener l : listeners) {
                try {
                    l.onChange(change);
                } catch (RuntimeException e) {
                    LOG.warn("registry listener failed [{}]", l, e);
                }
            }
        }
    }
}
