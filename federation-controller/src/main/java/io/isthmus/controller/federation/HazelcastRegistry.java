package io.isthmus.controller.federation;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import com.hazelcast.map.MapEvent;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.RegistryListener;
import io.isthmus.controller.registry.RegistryWriter;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.controller.registry.WorkloadInstance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federated registry shared by every replica through Hazelcast: {@code isthmus.services}
 * (hostname → every cluster's view of the service), {@code isthmus.gateways} (cluster → its
 * east-west gateways) and {@code isthmus.clusters} (cluster → sync state). Writes are
 * compare-and-set per hostname, so the owners of different clusters can update one service at once.
 * Reads come from a local mirror fed by entry events; an event only marks its key dirty and the
 * mirror re-reads the current value, so late or reordered events cannot leave an old value behind.
 * Listeners are told once per drained batch.
 */
public final class HazelcastRegistry implements FederatedRegistry, RegistryWriter, AutoCloseable {

    /** Map of services by hostname. */
    public static final String SERVICES = "isthmus.services";
    /** Map of east-west gateways by announcing cluster. */
    public static final String GATEWAYS = "isthmus.gateways";
    /** Map of cluster statuses by cluster. */
    public static final String CLUSTERS = "isthmus.clusters";
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastRegistry.class);

    private final IMap<String, byte[]> services;
    private final IMap<String, byte[]> gateways;
    private final IMap<String, byte[]> statuses;
    private final InMemoryRegistry mirror = new InMemoryRegistry();
    private final Set<String> dirtyServices = ConcurrentHashMap.newKeySet();
    private final Set<String> dirtyGateways = ConcurrentHashMap.newKeySet();
    private final Set<String> dirtyStatuses = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final ExecutorService drainer;
    private final Map<IMap<String, byte[]>, UUID> listenerIds = new HashMap<>();
    private volatile boolean closed;

    /** Uses the maps of an already started member; call {@link #start()} before use. */
    public HazelcastRegistry(HazelcastInstance hz) {
        Objects.requireNonNull(hz, "hz");
        this.services = hz.getMap(SERVICES);
        this.gateways = hz.getMap(GATEWAYS);
        this.statuses = hz.getMap(CLUSTERS);
        this.drainer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "registry-mirror");
            t.setDaemon(true);
            return t;
        });
    }

    /** Subscribes to the maps and loads their current content into the local mirror. */
    public HazelcastRegistry start() {
        listenerIds.put(services, services.addEntryListener(new DirtyMarker(dirtyServices), false));
        listenerIds.put(gateways, gateways.addEntryListener(new DirtyMarker(dirtyGateways), false));
        listenerIds.put(statuses, statuses.addEntryListener(new DirtyMarker(dirtyStatuses), false));
        dirtyServices.addAll(services.keySet());
        dirtyGateways.addAll(gateways.keySet());
        dirtyStatuses.addAll(statuses.keySet());
        scheduleDrain();
        return this;
    }

    // ---- read side: the mirror

    @Override
    public Collection<FederatedService> services() {
        return mirror.services();
    }

    @Override
    public Optional<FederatedService> service(String hostname) {
        return mirror.service(hostname);
    }

    @Override
    public List<NetworkGateway> gateways() {
        return mirror.gateways();
    }

    @Override
    public List<ClusterStatus> clusters() {
        return mirror.clusters();
    }

    @Override
    public Optional<WorkloadInstance> workload(String cluster, String namespace, String podNameOrAddress) {
        return mirror.workload(cluster, namespace, podNameOrAddress);
    }

    @Override
    public AutoCloseable addListener(RegistryListener listener) {
        return mirror.addListener(listener);
    }

    // ---- write side: the shared maps

    @Override
    public void putService(ClusterService service) {
        update(service.hostname(), m -> {
            m.put(service.cluster(), service);
            return m;
        });
    }

    @Override
    public void removeService(String cluster, String hostname) {
        update(hostname, m -> {
            m.remove(cluster);
            return m;
        });
    }

    @Override
    public void replaceCluster(String cluster, Collection<ClusterService> next) {
        Set<String> keep = new HashSet<>();
        for (ClusterService cs : next) {
            if (!cs.cluster().equals(cluster)) {
                throw new IllegalArgumentException("service " + cs.hostname() + " of " + cs.cluster()
                        + " in a resync of " + cluster);
            }
            keep.add(cs.hostname());
            putService(cs);
        }
        for (String h : mirror.hostnames(cluster)) {
            if (!keep.contains(h)) {
                removeService(cluster, h);
            }
        }
    }

    @Override
    public void replaceGateways(String cluster, Collection<NetworkGateway> list) {
        if (list.isEmpty()) {
            gateways.delete(cluster);
        } else {
            gateways.set(cluster, RegistryCodec.encodeGateways(List.copyOf(list)));
        }
    }

    @Override
    public void putStatus(ClusterStatus status) {
        statuses.set(status.name(), RegistryCodec.encodeStatus(status));
    }

    @Override
    public void markStale(String cluster) {
        for (String h : mirror.hostnames(cluster)) {
            update(h, m -> {
                ClusterService cs = m.get(cluster);
                if (cs != null) {
                    m.put(cluster, cs.withEndpoints(cs.endpoints().stream()
                            .map(e -> e.health() == EndpointHealth.HEALTHY ? e.withHealth(EndpointHealth.STALE) : e)
                            .toList()));
                }
                return m;
            });
        }
    }

    @Override
    public void removeCluster(String cluster) {
        // Scan the shared map, not only the mirror: the cluster must leave completely.
        for (String h : new HashSet<>(services.keySet())) {
            removeService(cluster, h);
        }
        gateways.delete(cluster);
        statuses.delete(cluster);
    }

    @Override
    public void close() {
        closed = true;
        listenerIds.forEach((map, id) -> {
            try {
                map.removeEntryListener(id);
            } catch (RuntimeException e) {
                LOG.debug("listener removal after shutdown [{}] {}", map.getName(), e.toString());
            }
        });
        drainer.shutdownNow();
    }

    // ---- internals

    /** Compare-and-set of one hostname's entry; {@code f} edits a mutable copy of the per-cluster map. */
    private void update(String hostname, UnaryOperator<Map<String, ClusterService>> f) {
        for (int attempt = 0; attempt < 1000; attempt++) {
            byte[] old = services.get(hostname);
            Map<String, ClusterService> cur = old == null ? new TreeMap<>() : new TreeMap<>(RegistryCodec.decodeServices(old));
            Map<String, ClusterService> next = f.apply(cur);
            byte[] bytes = next.isEmpty() ? null : RegistryCodec.encodeServices(next);
            if (Arrays.equals(old, bytes)) {
                return;
            }
            boolean done = old == null ? services.putIfAbsent(hostname, bytes) == null
                    : bytes == null ? services.remove(hostname, old)
                    : services.replace(hostname, old, bytes);
            if (done) {
                return;
            }
        }
        throw new IllegalStateException("registry entry " + hostname + " kept changing under 1000 updates");
    }

    private void scheduleDrain() {
        if (!closed && drainScheduled.compareAndSet(false, true)) {
            drainer.execute(this::drain);
        }
    }

    private void drain() {
        drainScheduled.set(false);
        try {
            List<String> keys = take(dirtyServices);
            if (!keys.isEmpty()) {
                Map<String, byte[]> values = services.getAll(new HashSet<>(keys));
                Map<String, FederatedService> batch = new HashMap<>();
                for (String k : keys) {
                    byte[] v = values.get(k);
                    batch.put(k, v == null ? null : FederatedService.merge(RegistryCodec.decodeServices(v).values()));
                }
                mirror.applyServices(batch);
            }
            for (String k : take(dirtyGateways)) {
                byte[] v = gateways.get(k);
                mirror.applyGateways(k, v == null ? List.of() : RegistryCodec.decodeGateways(v));
            }
            for (String k : take(dirtyStatuses)) {
                byte[] v = statuses.get(k);
                mirror.applyStatus(k, v == null ? null : RegistryCodec.decodeStatus(v));
            }
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.warn("registry mirror refresh failed, retrying [{}]", e.toString());
                scheduleDrain();
            }
        }
    }

    private static List<String> take(Set<String> dirty) {
        List<String> keys = new ArrayList<>(dirty);
        dirty.removeAll(keys);
        return keys;
    }

    /** Marks the key of every event dirty; values are re-read by the drainer. */
    private final class DirtyMarker implements EntryAddedListener<String, byte[]>, EntryUpdatedListener<String, byte[]>,
            EntryRemovedListener<String, byte[]>, EntryEvictedListener<String, byte[]>,
            EntryExpiredListener<String, byte[]>, MapClearedListener {
        private final Set<String> dirty;

        DirtyMarker(Set<String> dirty) {
            this.dirty = dirty;
        }

        private void mark(EntryEvent<String, byte[]> e) {
            dirty.add(e.getKey());
            scheduleDrain();
        }

        @Override
        public void entryAdded(EntryEvent<String, byte[]> e) {
            mark(e);
        }

        @Override
        public void entryUpdated(EntryEvent<String, byte[]> e) {
            mark(e);
        }

        @Override
        public void entryRemoved(EntryEvent<String, byte[]> e) {
            mark(e);
        }

        @Override
        public void entryEvicted(EntryEvent<String, byte[]> e) {
            mark(e);
        }

        @Override
        public void entryExpired(EntryEvent<String, byte[]> e) {
            mark(e);
        }

        @Override
        public void mapCleared(MapEvent event) {
            dirty.addAll(mirror.services().stream().map(FederatedService::hostname).toList());
            scheduleDrain();
        }
    }
}
