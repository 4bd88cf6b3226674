package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio config from the files of a directory ({@code --config-dir}), for runs without an API
 * server: every {@code *.yaml}, {@code *.yml} and {@code *.json} file directly in it (symbolic links
 * followed, as in a mounted ConfigMap), several documents each, read with {@link ConfigFiles} and
 * validated with {@link ConfigParser} like {@code isthmus analyze}; resources of other kinds are
 * ignored. Each file is a source {@code file:<path>} of the {@link ConfigRegistry}, so an API
 * server's resource of the same kind, namespace and name wins. The directory is polled; a file
 * whose content changed is read again, a removed file's resources are removed.
 *
 * <p>A bad document is rejected with the file, its document number, the field and the reason (log
 * and {@code /debug/configz}); the rest of the file applies. A rejected resource keeps its previous
 * version in force; when a document cannot be read at all, every resource of the file's last good
 * content that the readable documents no longer name stays in force until the file is fixed.
 */
public final class ConfigDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigDirectory.class);

    /** What is known of one file: its last content and its last resources in force. */
    private static final class FileState {
        String text;
        Map<ResourceRef, GenericKubernetesResource> good = new HashMap<>();
    }

    private final Path dir;
    private final ConfigRegistry registry;
    private final ScheduledExecutorService poller;
    private final Map<Path, FileState> files = new TreeMap<>();
    private String dirProblem = "";

    public ConfigDirectory(Path dir, ConfigRegistry registry) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "config-dir");
            t.setDaemon(true);
            return t;
        });
    }

    /** Reads the directory now, then every {@code interval} what changed. */
    public ConfigDirectory start(Duration interval) {
        reload();
        poller.scheduleWithFixedDelay(this::reload, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("config directory watched [{}] files={} every {}", dir, files.keySet().size(), interval);
        return this;
    }

    /** The source name of a file in the {@link ConfigRegistry}. */
    public static String sourceOf(Path file) {
        return ConfigRegistry.FILE_SOURCE_PREFIX + file.toAbsolutePath().normalize();
    }

    /** Reads every file whose content changed and forgets removed ones; synchronized with the poller. */
    public synchronized void reload() {
        List<Path> present;
        try (Stream<Path> list = Files.list(dir)) {
            present = list.filter(ConfigDirectory::isConfigFile).filter(Files::isRegularFile).sorted().toList();
            dirProblem = "";
        } catch (IOException e) {
            String problem = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!problem.equals(dirProblem)) {
                LOG.warn("config directory unreadable, last good config stays [{}] {}", dir, problem);
                dirProblem = problem;
            }
            return;
        }
        for (Path gone : new ArrayList<>(files.keySet())) {
            if (!present.contains(gone)) {
                files.remove(gone);
                registry.replaceSource(sourceOf(gone), List.of());
                LOG.info("config file removed [{}]", gone);
            }
        }
        for (Path f : present) {
            String text;
            try {
                text = Files.readString(f);
            } catch (IOException e) {
                LOG.warn("config file unreadable, last good content stays [{}] {}", f, e.toString());
                continue;
            }
            FileState state = files.computeIfAbsent(f, k -> new FileState());
            if (!text.equals(state.text)) {
                state.text = text;
                load(f, text, state);
            }
        }
    }

    private void load(Path file, String text, FileState state) {
        List<GenericKubernetesResource> resources = new ArrayList<>();
        Map<GenericKubernetesResource, String> origins = new IdentityHashMap<>();
        List<ConfigException> unreadable = new ArrayList<>();
        int ignored = 0;
        for (ConfigFiles.Document d : ConfigFiles.documents(text)) {
            String where = file + " document " + d.index();
            if (!d.error().isEmpty()) {
                unreadable.add(new ConfigException(new ResourceRef("Document", "", file.getFileName() + "#" + d.index()),
                        "document", d.error()).at(where));
                continue;
            }
            for (GenericKubernetesResource r : d.resources()) {
                if (!ConfigParser.isMeshConfig(r)) {
                    ignored++;
                    continue;
                }
                resources.add(r);
                origins.put(r, where);
            }
        }
        Map<ResourceRef, GenericKubernetesResource> now = new HashMap<>();
        resources.forEach(r -> now.put(refOf(r), r));
        if (!unreadable.isEmpty()) {
            // a document that cannot be read may have held any of the last good resources: keep them
            for (Map.Entry<ResourceRef, GenericKubernetesResource> e : state.good.entrySet()) {
                if (!now.containsKey(e.getKey())) {
                    now.put(e.getKey(), e.getValue());
                    resources.add(e.getValue());
                }
            }
        }
        List<ConfigException> rejected = registry.replaceSource(sourceOf(file), resources, r -> origins.getOrDefault(r, ""),
                unreadable);
        Set<ResourceRef> rejectedRefs = new HashSet<>();
        rejected.forEach(e -> rejectedRefs.add(e.resource()));
        Map<ResourceRef, GenericKubernetesResource> good = new HashMap<>();
        now.forEach((ref, r) -> good.put(ref, rejectedRefs.contains(ref) && state.good.containsKey(ref) ? state.good.get(ref) : r));
        good.keySet().removeIf(ref -> rejectedRefs.contains(ref) && !state.good.containsKey(ref));
        state.good = good;
        if (rejected.isEmpty()) {
            LOG.info("config file loaded [{}] resources={}{}", file, resources.size(),
                    ignored > 0 ? " ignored=" + ignored : "");
        } else {
            LOG.warn("config file loaded with rejections [{}] resources={} rejected={}{}", file, resources.size(),
                    rejected.size(), ignored > 0 ? " ignored=" + ignored : "");
        }
    }

    /** The kind/namespace/name a generic resource claims (namespace {@code default} when it names none). */
    static ResourceRef refOf(GenericKubernetesResource r) {
        String ns = r.getMetadata() == null || r.getMetadata().getNamespace() == null ? "default" : r.getMetadata().getNamespace();
        String name = r.getMetadata() == null || r.getMetadata().getName() == null ? "" : r.getMetadata().getName();
        return new ResourceRef(r.getKind() == null ? "" : r.getKind(), ns, name);
    }

    private static boolean isConfigFile(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"));
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
