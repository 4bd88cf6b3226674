package io.isthmus.controller.federation;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.isthmus.controller.discovery.KubernetesClients;
import io.isthmus.controller.discovery.KubernetesClusterDiscovery;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.RegistryWriter;
import io.isthmus.mesh.MeshLabels;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle of every cluster this controller federates: its own (from {@code --kubeconfig}) and
 * one per key of each remote secret in the system namespace. A new key starts that cluster's
 * discovery; a changed kubeconfig starts a second discovery with the new client and stops the old
 * one only once the new one has synced (or {@link Options#remoteTimeout()} passed), so endpoints
 * never disappear in between; a removed key stops discovery and removes the cluster from the
 * registry. A key that is no kubeconfig marks only that cluster ERRORED.
 *
 * <p>Beside discovery, every replica runs a {@link RemoteWatch} per remote cluster (whatever the
 * ownership: its results are not shared through the registry), with a client of its own: the
 * controller reads the gateway credentials of remote clusters with it. It is swapped with the
 * kubeconfig (the new one started before the old one stops) and stopped when the cluster leaves.
 *
 * <p>Discovery of a cluster runs only on the replica that {@link ClusterOwnership} says owns it;
 * ownership is re-checked every {@link Options#tick()}, so a dead owner's clusters are taken over.
 * All state is confined to one thread.
 */
public final class ClusterManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterManager.class);

    /**
     * How clusters are federated.
     *
     * @param localCluster this controller's cluster name
     * @param localNetwork the network of endpoints without a network label in any cluster
     * @param systemNamespace where remote secrets are read, normally {@code isthmus-system}
     * @param remoteTimeout how long readiness waits for a cluster to sync (Istio's
     *     PILOT_REMOTE_CLUSTER_TIMEOUT, default 10 s); also the client request timeout
     * @param staleAfter how long a cluster's watches may be down before its endpoints are STALE (default 3 s)
     * @param tick how often ownership is renewed and checked (default 1 s)
     */
    public record Options(String localCluster, String localNetwork, String systemNamespace, Duration remoteTimeout,
                          Duration staleAfter, Duration tick) {
        public Options {
            Objects.requireNonNull(localCluster, "localCluster");
            Objects.requireNonNull(localNetwork, "localNetwork");
            Objects.requireNonNull(systemNamespace, "systemNamespace");
            Objects.requireNonNull(remoteTimeout, "remoteTimeout");
            Objects.requireNonNull(staleAfter, "staleAfter");
            Objects.requireNonNull(tick, "tick");
            RemoteSecrets.checkClusterName(localCluster);
            if (tick.isZero() || tick.isNegative() || remoteTimeout.isNegative() || remoteTimeout.isZero()) {
                throw new IllegalArgumentException("tick and remoteTimeout must be > 0");
            }
        }

        /** Defaults: system namespace {@code isthmus-system}, timeout 10 s, stale after 3 s, tick 1 s. */
        public static Options of(String localCluster, String localNetwork) {
            return new Options(localCluster, localNetwork, MeshLabels.SYSTEM_NAMESPACE, Duration.ofSeconds(10),
                    Duration.ofSeconds(3), Duration.ofSeconds(1));
        }
    }

    /** Something every replica watches in each remote cluster through the remote secret's kubeconfig. */
    public interface RemoteWatch {
        /**
         * Starts watching a remote cluster.
         *
         * @param cluster the cluster name
         * @param client a client of its API server, closed by the manager after the returned watch
         * @return closing it stops the watch (and keeps what it read)
         */
        AutoCloseable start(String cluster, KubernetesClient client);

        /** The cluster left the federation: forget what was read from it. */
        void removed(String cluster);
    }

    /** One federated cluster; confined to the manager thread. */
    private static final class Handle {
        final String name;
        final KubernetesClient fixedClient;
        String kubeconfig;
        String error = "";
        KubernetesClusterDiscovery discovery;
        KubernetesClusterDiscovery pending;
        Instant pendingSince;
        Instant cooldownUntil = Instant.MIN;
        AutoCloseable watch;
        KubernetesClient watchClient;

        Handle(String name, KubernetesClient fixedClient, String kubeconfig) {
            this.name = name;
            this.fixedClient = fixedClient;
            this.kubeconfig = kubeconfig;
        }
    }

    private final Options options;
    private final KubernetesClient localClient;
    private final RegistryWriter writer;
    private final ClusterOwnership ownership;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final Map<String, Handle> handles = new TreeMap<>();
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private SharedIndexInformer<Secret> secrets;
    private volatile RemoteWatch remoteWatch;
    private volatile boolean closed;

    public ClusterManager(Options options, KubernetesClient localClient, RegistryWriter writer,
                          ClusterOwnership ownership, Clock clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.localClient = Objects.requireNonNull(localClient, "localClient");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.ownership = Objects.requireNonNull(ownership, "ownership");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "federation-" + options.localCluster());
            t.setDaemon(true);
            return t;
        });
    }

    /** Sets what every replica watches in each remote cluster (before {@link #start}); none by default. */
    public ClusterManager remoteWatch(RemoteWatch watch) {
        this.remoteWatch = Objects.requireNonNull(watch, "watch");
        return this;
    }

    /** Starts the local cluster's discovery and the remote-secret watch. */
    public ClusterManager start() {
        thread.execute(() -> handles.put(options.localCluster(),
                new Handle(options.localCluster(), localClient, null)));
        secrets = localClient.secrets().inNamespace(options.systemNamespace())
                .withLabel(MeshLabels.MULTI_CLUSTER, "true").runnableInformer(0);
        secrets.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret obj) {
                thread.execute(ClusterManager.this::reconcileSecrets);
            }

            @Override
            public void onUpdate(Secret oldObj, Secret newObj) {
                thread.execute(ClusterManager.this::reconcileSecrets);
            }

            @Override
            public void onDelete(Secret obj, boolean unknownFinalState) {
                thread.execute(ClusterManager.this::reconcileSecrets);
            }
        });
        secrets.exceptionHandler((started, t) -> {
            LOG.warn("remote secret watch error [{}/{}] {}", options.localCluster(), options.systemNamespace(), t.toString());
            return !closed;
        });
        secrets.start().whenComplete((v, t) -> thread.execute(() -> {
            reconcileSecrets();
            tick();
            armReadiness();
        }));
        // Readiness never waits on an API server for long, not even the local one.
        ready.completeOnTimeout(null, options.remoteTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
        long every = options.tick().toMillis();
        thread.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        LOG.info("federation started [{}] secrets in {}", options.localCluster(), options.systemNamespace());
        return this;
    }

    /**
     * Completes when the remote secrets have been read once and every cluster this replica owns has
     * synced or {@link Options#remoteTimeout()} has passed: an unreachable API server never blocks it.
     */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /** The clusters currently federated (local first is not guaranteed), sorted by name. */
    public List<String> clusters() {
        try {
            return thread.submit(() -> List.copyOf(handles.keySet())).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    /**
     * Clients of the joined remote clusters' API servers (one per remote secret, the client of its
     * credentials watch), for checks such as TokenReview of a remote cluster's service-account tokens.
     */
    public List<KubernetesClient> remoteClients() {
        try {
            return thread.submit(() -> handles.values().stream().filter(h -> h.fixedClient == null && h.watchClient != null)
                    .map(h -> h.watchClient).toList()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    /** The clusters whose API servers this replica watches now (it owns them), sorted. */
    public List<String> watching() {
        try {
            return thread.submit(() -> handles.values().stream().filter(h -> h.discovery != null)
                    .map(h -> h.name).toList()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.submit(() -> {
                if (secrets != null) {
                    secrets.stop();
                }
                for (Handle h : handles.values()) {
                    stopDiscovery(h);
                    stopWatch(h);
                    ownership.release(h.name);
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("federation stop incomplete [{}] {}", options.localCluster(), e.toString());
        }
        thread.shutdownNow();
    }

    // ---- manager thread

    private void reconcileSecrets() {
        if (closed || secrets == null) {
            return;
        }
        Map<String, String> desired = new HashMap<>();
        Map<String, String> errors = new HashMap<>();
        List<Secret> list = new ArrayList<>(secrets.getStore().list());
        list.sort((a, b) -> a.getMetadata().getName().compareTo(b.getMetadata().getName()));
        for (Secret s : list) {
            for (RemoteSecrets.Entry e : RemoteSecrets.entries(s)) {
                if (e.cluster().equals(options.localCluster())) {
                    LOG.warn("remote secret for the local cluster ignored [{}] secret={}", e.cluster(),
                            s.getMetadata().getName());
                } else if (!e.error().isEmpty()) {
                    errors.put(e.cluster(), e.error());
                } else if (desired.put(e.cluster(), e.kubeconfig()) != null) {
                    LOG.warn("cluster in several remote secrets, the last by name wins [{}] secret={}",
                            e.cluster(), s.getMetadata().getName());
                }
            }
        }
        for (Handle h : List.copyOf(handles.values())) {
            if (h.fixedClient == null && !desired.containsKey(h.name) && !errors.containsKey(h.name)) {
                removeCluster(h);
            }
        }
        errors.keySet().removeAll(desired.keySet());
        errors.forEach((cluster, reason) -> {
            Handle h = handles.computeIfAbsent(cluster, n -> new Handle(n, null, null));
            setError(h, reason);
        });
        desired.forEach((cluster, kubeconfig) -> {
            Handle h = handles.get(cluster);
            if (h == null) {
                h = new Handle(cluster, null, kubeconfig);
                handles.put(cluster, h);
                LOG.info("cluster joined by remote secret [{}]", cluster);
                h.error = "";
                startWatch(h);
            } else if (!kubeconfig.equals(h.kubeconfig) || !h.error.isEmpty()) {
                LOG.info("remote secret changed, swapping client [{}]", cluster);
                boolean changed = !kubeconfig.equals(h.kubeconfig) || h.watch == null;
                h.kubeconfig = kubeconfig;
                h.error = "";
                if (h.discovery != null) {
                    startPending(h);
                }
                if (changed) {
                    startWatch(h);
                }
            }
        });
        tick();
    }

    private void tick() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        for (Handle h : handles.values()) {
            if (now.isBefore(h.cooldownUntil)) {
                continue;
            }
            boolean owned;
            try {
                owned = ownership.tryAcquire(h.name);
            } catch (RuntimeException e) {
                LOG.warn("ownership check failed [{}] {}", h.name, e.toString());
                continue;
            }
            if (owned && h.discovery == null && h.error.isEmpty() && (h.kubeconfig != null || h.fixedClient != null)) {
                LOG.info("watching API server of cluster [{}] owner={}", h.name, ownership.self());
                h.discovery = startDiscovery(h);
            } else if (!owned && h.discovery != null) {
                LOG.info("ownership lost, no longer watching [{}] owner={}", h.name, ownership.owner(h.name).orElse("?"));
                stopDiscovery(h);
            }
            if (h.pending != null) {
                if (h.pending.synced().isDone()
                        || Duration.between(h.pendingSince, clock.instant()).compareTo(options.remoteTimeout()) >= 0) {
                    KubernetesClusterDiscovery old = h.discovery;
                    h.discovery = h.pending;
                    h.pending = null;
                    if (!h.discovery.synced().isDone()) {
                        LOG.warn("new client did not sync in {} [{}] {}", options.remoteTimeout(), h.name,
                                h.discovery.lastError());
                        writer.markStale(h.name);
                    }
                    close(old);
                }
            }
        }
        rebalance(now);
    }

    /**
     * Hands one cluster over per tick while this replica watches more than its share
     * ({@code ceil(clusters / replicas)}); the released cluster is not taken back for five ticks, so
     * a replica below its share picks it up. Its endpoints stay in the registry in between.
     */
    private void rebalance(Instant now) {
        int replicas;
        try {
            replicas = ownership.replicas();
        } catch (RuntimeException e) {
            return;
        }
        if (replicas <= 1) {
            return;
        }
        long watching = handles.values().stream().filter(h -> h.discovery != null).count();
        long share = (handles.size() + replicas - 1) / replicas;
        if (watching <= share) {
            return;
        }
        handles.values().stream().filter(h -> h.discovery != null && h.pending == null).reduce((a, b) -> b)
                .ifPresent(h -> {
                    LOG.info("handing over to balance replicas [{}] watching={} share={}", h.name, watching, share);
                    stopDiscovery(h);
                    ownership.release(h.name);
                    h.cooldownUntil = now.plus(options.tick().multipliedBy(5));
                });
    }

    private KubernetesClusterDiscovery startDiscovery(Handle h) {
        return startDiscovery(h, writer);
    }

    private KubernetesClusterDiscovery startDiscovery(Handle h, RegistryWriter target) {
        KubernetesClient client = h.fixedClient;
        if (client == null) {
            try {
                client = KubernetesClients.fromKubeconfig(h.kubeconfig, options.remoteTimeout());
            } catch (RuntimeException e) {
                setError(h, "remote secret kubeconfig unusable: " + e.getMessage());
                return null;
            }
        }
        return new KubernetesClusterDiscovery(new KubernetesClusterDiscovery.Options(h.name, options.localNetwork(),
                options.staleAfter(), Duration.ofMillis(Math.max(100, options.tick().toMillis() / 2))),
                client, target, clock).start();
    }

    private void startPending(Handle h) {
        if (h.pending != null) {
            close(h.pending);
        }
        // The cluster stays SYNCED on the old client while the new one lists: hide its SYNCING.
        h.pending = startDiscovery(h, new QuietSyncingWriter(writer));
        h.pendingSince = clock.instant();
    }

    private void setError(Handle h, String reason) {
        if (!reason.equals(h.error)) {
            LOG.error("cluster errored [{}] {}", h.name, reason);
        }
        h.error = reason;
        if (h.pending != null) {
            close(h.pending);
            h.pending = null;
        }
        writer.putStatus(ClusterStatus.of(h.name, ClusterStatus.State.ERRORED, reason, clock.instant()));
    }

    private void removeCluster(Handle h) {
        LOG.info("cluster left, removing its endpoints [{}]", h.name);
        stopDiscovery(h);
        stopWatch(h);
        handles.remove(h.name);
        writer.removeCluster(h.name);
        ownership.release(h.name);
        RemoteWatch w = remoteWatch;
        if (w != null) {
            try {
                w.removed(h.name);
            } catch (RuntimeException e) {
                LOG.warn("remote watch cleanup failed [{}] {}", h.name, e.toString());
            }
        }
    }

    /** Starts the remote watch with a new client; the previous one (old kubeconfig) stops after. */
    private void startWatch(Handle h) {
        RemoteWatch w = remoteWatch;
        if (w == null || h.fixedClient != null || h.kubeconfig == null) {
            return;
        }
        AutoCloseable oldWatch = h.watch;
        KubernetesClient oldClient = h.watchClient;
        try {
            KubernetesClient client = KubernetesClients.fromKubeconfig(h.kubeconfig, options.remoteTimeout());
            try {
                h.watch = w.start(h.name, client);
                h.watchClient = client;
            } catch (RuntimeException e) {
                client.close();
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.warn("remote watch not started [{}] {}", h.name, e.getMessage());
            return;
        }
        closeWatch(oldWatch, oldClient, h.name);
    }

    private void stopWatch(Handle h) {
        closeWatch(h.watch, h.watchClient, h.name);
        h.watch = null;
        h.watchClient = null;
    }

    private static void closeWatch(AutoCloseable watch, KubernetesClient client, String cluster) {
        try {
            if (watch != null) {
                watch.close();
            }
        } catch (Exception e) {
            LOG.debug("remote watch close failed [{}] {}", cluster, e.toString());
        }
        if (client != null) {
            client.close();
        }
    }

    private void stopDiscovery(Handle h) {
        close(h.pending);
        close(h.discovery);
        h.pending = null;
        h.discovery = null;
    }

    private void close(KubernetesClusterDiscovery d) {
        if (d == null) {
            return;
        }
        d.close();
        if (d.client() != localClient) {
            d.client().close();
        }
    }

    private void armReadiness() {
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (Handle h : handles.values()) {
            if (h.discovery != null) {
                waits.add(h.discovery.synced().copy()
                        .completeOnTimeout(null, options.remoteTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .exceptionally(t -> null));
            }
        }
        CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)).whenComplete((v, t) -> {
            LOG.info("federation ready [{}] clusters={}", options.localCluster(), handles.keySet());
            ready.complete(null);
        });
    }
}
