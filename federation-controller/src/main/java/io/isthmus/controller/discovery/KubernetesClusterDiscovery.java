package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.RegistryWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiPredicate;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's API server as a discovery source: fabric8 informers on Services, EndpointSlices,
 * Pods, Nodes and Namespaces whose changes are turned into {@link ClusterService}s and east-west
 * {@link NetworkGateway}s and written to a {@link RegistryWriter}.
 *
 * <p>Nothing is written before every informer has listed once; then the cluster's whole view is
 * written with {@link RegistryWriter#replaceCluster}, which changes only what differs from what the
 * registry holds. A replacement client for the same cluster (secret rotation) therefore causes no
 * endpoint gap. When the watches stay down for {@link Options#staleAfter()} the cluster's endpoints
 * are marked STALE; when they are back the whole view is written again. Work runs on one thread per
 * cluster; informer callbacks only mark keys dirty.
 */
public final class KubernetesClusterDiscovery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesClusterDiscovery.class);
    private static final String ALL = "*";
    private static final String NS_PREFIX = "ns:";

    /**
     * How a cluster is watched.
     *
     * @param cluster the cluster name
     * @param defaultNetwork the network of endpoints without a network label
     * @param staleAfter how long the watches may stay down before endpoints are marked STALE (default 3 s)
     * @param healthCheckInterval how often the watches are checked (default 500 ms)
     */
    public record Options(String cluster, String defaultNetwork, Duration staleAfter, Duration healthCheckInterval) {
        public Options {
            Objects.requireNonNull(cluster, "cluster");
            Objects.requireNonNull(defaultNetwork, "defaultNetwork");
            Objects.requireNonNull(staleAfter, "staleAfter");
            Objects.requireNonNull(healthCheckInterval, "healthCheckInterval");
            if (cluster.isEmpty()) {
                throw new IllegalArgumentException("cluster must not be empty");
            }
            if (healthCheckInterval.isZero() || healthCheckInterval.isNegative()) {
                throw new IllegalArgumentException("healthCheckInterval must be > 0");
            }
        }

        /** Defaults: stale after 3 s, checked every 500 ms. */
        public static Options of(String cluster, String defaultNetwork) {
            return new Options(cluster, defaultNetwork, Duration.ofSeconds(3), Duration.ofMillis(500));
        }
    }

    private final Options options;
    private final KubernetesClient client;
    private final RegistryWriter writer;
    private final Clock clock;
    private final KubeServiceAssembler assembler;
    private final ScheduledExecutorService worker;
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final CompletableFuture<Void> synced = new CompletableFuture<>();
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private volatile String lastError = "";
    private volatile boolean closed;
    private boolean stale;
    private Instant watchDownSince;
    private ClusterStatus.State reported;
    private String reportedReason = "";
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<EndpointSlice> slices;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Namespace> namespaces;
    private Map<String, List<NetworkGateway>> lastGateways = Map.of();

    public KubernetesClusterDiscovery(Options options, KubernetesClient client, RegistryWriter writer, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.client = Objects.requireNonNull(client, "client");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.assembler = new KubeServiceAssembler(options.cluster(), options.defaultNetwork());
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "discovery-" + options.cluster());
            t.setDaemon(true);
            return t;
        });
    }

    /** The cluster this source watches. */
    public String cluster() {
        return options.cluster();
    }

    /** The client this source uses (closed by its owner, not by this class). */
    public KubernetesClient client() {
        return client;
    }

    /**
     * Starts the informers. Returns at once; {@link #synced()} completes when every informer has
     * listed and the cluster's view has been written.
     */
    public synchronized KubernetesClusterDiscovery start() {
        LOG.info("discovery starting [{}] {}", options.cluster(), client.getMasterUrl());
        report(ClusterStatus.State.SYNCING, "");
        // Only changes that alter the registry matter: node and pod status heartbeats are ignored.
        namespaces = informer(client.namespaces().runnableInformer(0),
                o -> List.of(NS_PREFIX + o.getMetadata().getName()), (a, b) -> !KubeKeys.labelsOf(a).equals(KubeKeys.labelsOf(b)));
        nodes = informer(client.nodes().runnableInformer(0), o -> List.of(ALL),
                (a, b) -> !KubeKeys.labelsOf(a).equals(KubeKeys.labelsOf(b)));
        slices = informer(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0),
                o -> List.of(KubeKeys.serviceKeyOfSlice(o)), (a, b) -> true);
        slices.addIndexers(Map.of("svc", s -> List.of(KubeKeys.serviceKeyOfSlice(s)), "pod", KubeKeys::podsOfSlice));
        pods = informer(client.pods().inAnyNamespace().runnableInformer(0), this::servicesOfPod,
                (a, b) -> !KubeKeys.podFacts(a).equals(KubeKeys.podFacts(b)));
        pods.addIndexers(Map.of("ip", p -> p.getStatus() == null || p.getStatus().getPodIP() == null ? List.of()
                : List.of(p.getStatus().getPodIP())));
        services = informer(client.services().inAnyNamespace().runnableInformer(0), o -> List.of(KubeKeys.key(o)), (a, b) -> true);
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (SharedIndexInformer<?> i : informers) {
            starts.add(i.start().toCompletableFuture());
        }
        CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).whenComplete((v, t) -> {
            if (t == null) {
                run(this::initialSync);
            } else {
                LOG.warn("discovery failed to start [{}] {}", options.cluster(), t.toString());
            }
        });
        long every = options.healthCheckInterval().toMillis();
        worker.scheduleWithFixedDelay(this::checkWatches, every, every, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Completes when the informers have listed once and the cluster's view is in the registry. */
    public CompletableFuture<Void> synced() {
        return synced;
    }

    /** The last error the informers reported, empty when none. */
    public String lastError() {
        return lastError;
    }

    /** Stops the informers. The cluster's entries stay in the registry (its owner removes them if it should). */
    @Override
    public synchronized void close() {
        closed = true;
        informers.forEach(SharedIndexInformer::stop);
        worker.shutdownNow();
        LOG.info("discovery stopped [{}]", options.cluster());
    }

    // ---- informers

    private <T extends HasMetadata> SharedIndexInformer<T> informer(SharedIndexInformer<T> inf,
                                                                  Function<T, List<String>> dirtyKeys,
                                                                  BiPredicate<T, T> relevantUpdate) {
        inf.addEventHandler(new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                markDirty(dirtyKeys.apply(obj));
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                if (relevantUpdate.test(oldObj, newObj)) {
                    markDirty(dirtyKeys.apply(oldObj));
                    markDirty(dirtyKeys.apply(newObj));
                }
            }

            @Override
            public void onDelete(T obj, boolean unknownFinalState) {
                markDirty(dirtyKeys.apply(obj));
            }
        });
        inf.exceptionHandler((started, t) -> {
            String reason = KubeKeys.describe(t);
            if (!reason.equals(lastError)) {
                LOG.warn("watch error [{}] {} {}", options.cluster(), inf.getApiTypeClass().getSimpleName(), reason);
            }
            lastError = reason;
            if (KubeKeys.isRefused(t)) {
                run(() -> report(ClusterStatus.State.ERRORED, reason));
            }
            return !closed;
        });
        informers.add(inf);
        return inf;
    }

    private void markDirty(List<String> keys) {
        if (keys.isEmpty() || !synced.isDone()) {
            return;
        }
        dirty.addAll(keys);
        if (drainScheduled.compareAndSet(false, true)) {
            run(this::drain);
        }
    }

    /** Runs a task on the worker thread unless this source is closed. */
    private void run(Runnable task) {
        if (closed) {
            return;
        }
        try {
            worker.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("discovery closed, event dropped [{}]", options.cluster());
        }
    }

    // ---- worker thread

    private void initialSync() {
        if (closed) {
            return;
        }
        writeAll();
        lastError = "";
        report(ClusterStatus.State.SYNCED, "");
        synced.complete(null);
        LOG.info("discovery synced [{}] services={} endpointSlices={} pods={}", options.cluster(),
                services.getStore().list().size(), slices.getStore().list().size(), pods.getStore().list().size());
    }

    private void drain() {
        drainScheduled.set(false);
        if (closed) {
            return;
        }
        List<String> keys = new ArrayList<>(dirty);
        dirty.removeAll(keys);
        if (keys.contains(ALL)) {
            writeAll();
            return;
        }
        boolean gatewaysMaybe = false;
        for (String k : keys) {
            if (k.startsWith(NS_PREFIX)) {
                String ns = k.substring(NS_PREFIX.length());
                for (Service s : services.getStore().list()) {
                    if (ns.equals(s.getMetadata().getNamespace())) {
                        writeService(KubeKeys.key(s), s);
                    }
                }
            } else if (!k.endsWith("/")) {
                Service s = services.getStore().getByKey(k);
                writeService(k, s);
                gatewaysMaybe = true;
            }
        }
        if (gatewaysMaybe) {
            writeGateways();
        }
    }

    private void writeAll() {
        List<ClusterService> all = new ArrayList<>();
        for (Service s : services.getStore().list()) {
            all.add(assemble(s));
        }
        writer.replaceCluster(options.cluster(), all);
        writeGateways();
    }

    private void writeService(String key, Service s) {
        if (s == null) {
            int slash = key.indexOf('/');
            writer.removeService(options.cluster(), io.isthmus.mesh.MeshLabels.serviceHostname(
                    key.substring(slash + 1), key.substring(0, slash)));
        } else {
            writer.putService(assemble(s));
        }
    }

    private ClusterService assemble(Service s) {
        return assembler.assemble(s, slices.getIndexer().byIndex("svc", KubeKeys.key(s)), new KubeServiceAssembler.Lookups(
                k -> pods.getStore().getByKey(k),
                ip -> {
                    List<Pod> l = pods.getIndexer().byIndex("ip", ip);
                    return l.isEmpty() ? null : l.get(0);
                },
                n -> nodes.getStore().getByKey(n),
                n -> namespaces.getStore().getByKey(n)));
    }

    private void writeGateways() {
        List<NetworkGateway> gws = new ArrayList<>();
        for (Service s : services.getStore().list()) {
            assembler.gateway(s).ifPresent(gws::add);
        }
        Map<String, List<NetworkGateway>> next = Map.of(options.cluster(), List.copyOf(gws));
        if (!next.equals(lastGateways)) {
            lastGateways = next;
            writer.replaceGateways(options.cluster(), gws);
            gws.forEach(g -> LOG.info("east-west gateway [{}] network={} {}:{}", options.cluster(), g.network(),
                    g.address(), g.port()));
        }
    }

    private void checkWatches() {
        if (closed) {
            return;
        }
        if (!synced.isDone()) {
            String err = lastError;
            if (!err.isEmpty() && reported == ClusterStatus.State.SYNCING) {
                report(ClusterStatus.State.SYNCING, "waiting for the API server: " + err);
            }
            return;
        }
        boolean watching = informers.stream().allMatch(SharedIndexInformer::isWatching);
        Instant now = clock.instant();
        if (watching) {
            watchDownSince = null;
            if (stale) {
                stale = false;
                LOG.info("API server answers again, resyncing [{}]", options.cluster());
                writeAll();
                report(ClusterStatus.State.SYNCED, "");
            }
            return;
        }
        if (watchDownSince == null) {
            watchDownSince = now;
        }
        if (!stale && Duration.between(watchDownSince, now).compareTo(options.staleAfter()) >= 0) {
            stale = true;
            String reason = lastError.isEmpty() ? "API server unreachable" : lastError;
            LOG.warn("API server unreachable, keeping last-known endpoints as STALE [{}] {}", options.cluster(), reason);
            writer.markStale(options.cluster());
            report(ClusterStatus.State.STALE, reason);
        }
    }

    private void report(ClusterStatus.State state, String reason) {
        if (closed || (state == reported && reason.equals(reportedReason))) {
            return;
        }
        reported = state;
        reportedReason = reason;
        writer.putStatus(ClusterStatus.of(options.cluster(), state, reason, clock.instant()));
    }

    // ---- helpers

    /** The services whose endpoints a pod backs (through the slices naming it), else its namespace. */
    private List<String> servicesOfPod(Pod p) {
        SharedIndexInformer<EndpointSlice> sl = slices;
        if (sl == null) {
            return List.of(NS_PREFIX + p.getMetadata().getNamespace());
        }
        List<String> keys = new ArrayList<>();
        for (EndpointSlice s : sl.getIndexer().byIndex("pod", p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())) {
            keys.add(KubeKeys.serviceKeyOfSlice(s));
        }
        String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
        if (keys.isEmpty() && ip != null) {
            // Slices without targetRef: fall back to the pod's namespace.
            keys.add(NS_PREFIX + p.getMetadata().getNamespace());
        }
        return keys;
    }

}
