package io.isthmus.controller.ca;

import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.pem.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's signing CA and the mesh trust bundle, read from an Istio cacerts directory and read
 * again when its files change (a new root added for rotation, a renewed intermediate). A directory
 * that cannot be loaded at start is an error; a bad change later is logged and the last good CA
 * stays in force.
 */
public final class CaDirectory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CaDirectory.class);
    private static final List<String> FILES = List.of("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem");

    private final Path dir;
    private final String trustDomain;
    private final List<Consumer<CaDirectory>> listeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService watcher;
    private volatile CertificateAuthority authority;
    private volatile String bundlePem;
    private List<Long> stamps;

    /**
     * Loads the directory and watches it.
     *
     * @param dir the cacerts directory
     * @param trustDomain the trust domain the CA issues for
     * @param pollEveryMillis how often the files' modification times are checked
     * @throws io.isthmus.trust.TrustException when the directory does not hold a usable CA
     */
    public CaDirectory(Path dir, String trustDomain, long pollEveryMillis) {
        this.dir = Objects.requireNonNull(dir, "dir");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.stamps = stamps();
        load();
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ca-dir-watch");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::check, pollEveryMillis, pollEveryMillis, TimeUnit.MILLISECONDS);
    }

    /** The current signing CA. */
    public CertificateAuthority authority() {
        return authority;
    }

    /** The current trust bundle: every root, PEM. */
    public String bundlePem() {
        return bundlePem;
    }

    /** Calls {@code listener} (on the watcher thread) after each successful reload. */
    public void onChange(Consumer<CaDirectory> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private void load() {
        CertificateAuthority ca = CertificateAuthority.load(dir, trustDomain);
        authority = ca;
        bundlePem = Pem.encodeCertificates(ca.roots());
    }

    private void check() {
        List<Long> now = stamps();
        if (now.equals(stamps)) {
            return;
        }
        stamps = now;
        try {
            String before = bundlePem;
            load();
            LOG.info("CA directory reloaded [{}] [roots={} bundleChanged={}]", dir, authority.roots().size(), !bundlePem.equals(before));
            for (Consumer<CaDirectory> l : listeners) {
                l.accept(this);
            }
        } catch (RuntimeException e) {
            LOG.error("CA directory {} changed but cannot be loaded, keeping the previous CA: {}", dir, e.getMessage());
        }
    }

    private List<Long> stamps() {
        List<Long> s = new ArrayList<>();
        for (String f : FILES) {
            try {
                Path p = dir.resolve(f);
                s.add(Files.exists(p) ? Files.getLastModifiedTime(p).toMillis() ^ Files.size(p) : -1L);
            } catch (IOException e) {
                s.add(-2L);
            }
        }
        return s;
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
