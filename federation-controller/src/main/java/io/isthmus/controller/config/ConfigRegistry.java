package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's {@link ConfigStore}: raw resources from several sources (a cluster's API server,
 * a file) validated as they arrive. An invalid resource is rejected whole and logged; if an earlier
 * version of it was valid, that version stays in force. Thread-safe; listeners are called one at a
 * time with the new snapshot.
 */
public final class ConfigRegistry implements ConfigStore {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigRegistry.class);

    private record Key(String source, ResourceRef ref) {
    }

    private final String rootNamespace;
    private final Map<Key, MeshResource> accepted = new HashMap<>();
    private final Map<Key, ConfigException> rejections = new HashMap<>();
    private final List<Consumer<MeshConfig>> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong rejectionCount = new java.util.concurrent.atomic.AtomicLong();
    private volatile MeshConfig current;
    private volatile List<String> warnings = List.of();

    /** @param rootNamespace namespace of mesh-wide policies, normally {@code isthmus-system} */
    public ConfigRegistry(String rootNamespace) {
        this.rootNamespace = Objects.requireNonNull(rootNamespace, "rootNamespace");
        this.current = MeshConfig.empty(rootNamespace);
    }

    @Override
    public MeshConfig current() {
        return current;
    }

    @Override
    public synchronized List<ConfigException> rejected() {
        return List.copyOf(rejections.values());
    }

    @Override
    public AutoCloseable addListener(Consumer<MeshConfig> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    /** How many distinct rejections happened since start (a counter for metrics). */
    public long rejectionsTotal() {
        return rejectionCount.get();
    }

    /** Adds or replaces one resource from a source; returns the rejection, if any. */
    public ConfigException upsert(String source, GenericKubernetesResource r) {
        synchronized (this) {
            MeshResource parsed;
            try {
                parsed = ConfigParser.parse(r, "default");
            } catch (ConfigException e) {
                Key key = new Key(source, e.resource());
                ConfigException previous = rejections.get(key);
                if (previous == null || !previous.getMessage().equals(e.getMessage())) {
                    rejectionCount.incrementAndGet();
                    LOG.warn("config rejected [{}] {}{}", source, e.getMessage(),
                            accepted.containsKey(key) ? " (previous version stays in force)" : "");
                }
                rejections.put(key, e);
                return e;
            }
            Key key = new Key(source, parsed.ref());
            if (rejections.remove(key) != null) {
                LOG.info("config accepted again [{}] {}", source, parsed.ref());
            }
            if (parsed.equals(accepted.put(key, parsed))) {
                return null;
            }
            LOG.debug("config accepted [{}] {}", source, parsed.ref());
            publish();
        }
        fire();
        return null;
    }

    /** Removes one resource of a source. */
    public void delete(String source, ResourceRef ref) {
        synchronized (this) {
            rejections.remove(new Key(source, ref));
            if (accepted.remove(new Key(source, ref)) == null) {
                return;
            }
            publish();
        }
        fire();
    }

    /** Sets a source's resources to exactly these (a file reload, a cluster leaving with an empty list). */
    public List<ConfigException> replaceSource(String source, Collection<GenericKubernetesResource> resources) {
        List<ConfigException> errors = new ArrayList<>();
        Map<Key, MeshResource> next = new HashMap<>();
        Map<Key, ConfigException> nextRejections = new HashMap<>();
        for (GenericKubernetesResource r : resources) {
            try {
                MeshResource m = ConfigParser.parse(r, "default");
                next.put(new Key(source, m.ref()), m);
            } catch (ConfigException e) {
                errors.add(e);
                rejectionCount.incrementAndGet();
                nextRejections.put(new Key(source, e.resource()), e);
                LOG.warn("config rejected [{}] {}", source, e.getMessage());
            }
        }
        synchronized (this) {
            Map<Key, MeshResource> before = new HashMap<>(accepted);
            accepted.keySet().removeIf(k -> k.source().equals(source) && !nextRejections.containsKey(k));
            rejections.keySet().removeIf(k -> k.source().equals(source));
            accepted.putAll(next);
            rejections.putAll(nextRejections);
            if (before.equals(accepted)) {
                return errors;
            }
            publish();
        }
        fire();
        return errors;
    }

    private void publish() {
        current = new MeshConfig(new ArrayList<>(accepted.values()), rootNamespace);
        List<String> now = ConfigChecks.crossCheck(current);
        for (String w : now) {
            if (!warnings.contains(w)) {
                LOG.warn("config warning {}", w);
            }
        }
        warnings = List.copyOf(now);
    }

    /** Unresolved references among the accepted resources (a route to an undefined subset...). */
    public List<String> warnings() {
        return warnings;
    }

    private void fire() {
        MeshConfig snapshot = current;
        synchronized (listeners) {
            for (Consumer<MeshConfig> l : listeners) {
                try {
                    l.accept(snapshot);
                } catch (RuntimeException e) {
                    LOG.warn("config listener failed [{}]", l, e);
                }
            }
        }
    }
}
