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
 *
 * <p>Sources named {@code file:…} ({@link #FILE_SOURCE_PREFIX}, the controller's {@code --config-dir})
 * yield to every other source: a resource of the same kind, namespace and name from an API server is
 * the one in force. Credential Secrets are the exception: they are kept from every source and
 * {@code CredentialTranslator} prefers the one of the proxy's own cluster.
 */
public final class ConfigRegistry implements ConfigStore {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigRegistry.class);

    /** Prefix of the source names of config files; such sources yield to API servers. */
    public static final String FILE_SOURCE_PREFIX = "file:";

    private record Key(String source, ResourceRef ref) {
        boolean fromFile() {
            return source.startsWith(FILE_SOURCE_PREFIX);
        }
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
        return replaceSource(source, resources, r -> "", List.of());
    }

    /**
     * Sets a source's resources to exactly these. A resource that is rejected keeps its previous
     * accepted version in force; so does every resource of {@code unreadable} (the previous
     * content of documents that could not be read, passed again by the caller, with their errors).
     *
     * @param source the source
     * @param resources its resources now
     * @param origin where each resource was read (prefixed to its rejection), empty for nothing
     * @param unreadable errors of parts of the source that could not be read at all (already located)
     * @return the rejections, {@code unreadable} included
     */
    public List<ConfigException> replaceSource(String source, Collection<GenericKubernetesResource> resources,
                                               java.util.function.Function<GenericKubernetesResource, String> origin,
                                               List<ConfigException> unreadable) {
        List<ConfigException> errors = new ArrayList<>();
        Map<Key, MeshResource> next = new HashMap<>();
        Map<Key, ConfigException> nextRejections = new HashMap<>();
        for (GenericKubernetesResource r : resources) {
            try {
                MeshResource m = ConfigParser.parse(r, "default");
                next.put(new Key(source, m.ref()), m);
            } catch (ConfigException e) {
                String where = origin.apply(r);
                ConfigException located = where.isEmpty() ? e : e.at(where);
                errors.add(located);
                nextRejections.put(new Key(source, e.resource()), located);
            }
        }
        for (ConfigException e : unreadable) {
            errors.add(e);
            nextRejections.put(new Key(source, e.resource()), e);
        }
        synchronized (this) {
            for (Map.Entry<Key, ConfigException> e : nextRejections.entrySet()) {
                ConfigException previous = rejections.get(e.getKey());
                if (previous == null || !previous.getMessage().equals(e.getValue().getMessage())) {
                    rejectionCount.incrementAndGet();
                    LOG.warn("config rejected [{}] {}{}", source, e.getValue().getMessage(),
                            accepted.containsKey(e.getKey()) ? " (previous version stays in force)" : "");
                }
            }
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
        java.util.Set<ResourceRef> fromApi = new java.util.HashSet<>();
        accepted.keySet().stream().filter(k -> !k.fromFile()).forEach(k -> fromApi.add(k.ref()));
        List<MeshResource> inForce = new ArrayList<>();
        accepted.forEach((k, r) -> {
            if (!k.fromFile() || r instanceof CredentialSecret || !fromApi.contains(k.ref())) {
                inForce.add(r);
            }
        });
        current = new MeshConfig(inForce, rootNamespace);
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
