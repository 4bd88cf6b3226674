package io.isthmus.sidecar.cert;

import io.isthmus.trust.TrustException;
import io.isthmus.trust.pem.Pem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The static certificate mode ({@code --cert-dir}): reads {@code cert-chain.pem}, {@code key.pem}
 * and {@code root-cert.pem} (Istio's file names) into the {@link CertificateStore}, then polls them
 * and loads again when their content changes (a Kubernetes Secret volume swaps files through
 * symlinks, which file-watch events miss). A broken or half-written set is logged and skipped; the
 * certificate in force stays.
 */
public final class CertDirProvider implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CertDirProvider.class);
    /** The chain file, leaf first. */
    public static final String CHAIN = "cert-chain.pem";
    /** The private key file. */
    public static final String KEY = "key.pem";
    /** The trust bundle file. */
    public static final String ROOT = "root-cert.pem";

    private final Path dir;
    private final CertificateStore store;
    private final ScheduledExecutorService poller;
    private byte[] lastDigest = new byte[0];

    private CertDirProvider(Path dir, CertificateStore store, Duration interval) {
        this.dir = dir;
        this.store = store;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "isthmus-cert-dir");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Loads the directory once (failing with a message naming the file if it is unusable) and
     * starts watching it.
     *
     * @return the provider and a store holding the directory's certificate and roots
     */
    public static CertDirProvider start(Path dir, Duration interval) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(interval, "interval");
        Loaded first = load(dir);
        CertificateStore store = new CertificateStore(first.anchors());
        store.setCertificate(first.certificate());
        CertDirProvider p = new CertDirProvider(dir, store, interval);
        p.lastDigest = first.digest();
        return p;
    }

    /** The store this provider feeds. */
    public CertificateStore store() {
        return store;
    }

    private record Loaded(WorkloadCertificate certificate, TrustAnchors anchors, byte[] digest) {
    }

    private static Loaded load(Path dir) {
        String chainPem = read(dir.resolve(CHAIN));
        String keyPem = read(dir.resolve(KEY));
        String rootPem = read(dir.resolve(ROOT));
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = Pem.readCertificates(chainPem, dir.resolve(CHAIN).toString());
            key = Pem.readPrivateKey(keyPem, dir.resolve(KEY).toString());
        } catch (TrustException e) {
            throw new CertificateException(e.getMessage(), e);
        }
        if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new CertificateException(dir.resolve(KEY) + ": key algorithm " + key.getAlgorithm()
                    + " does not match the certificate's " + chain.get(0).getPublicKey().getAlgorithm());
        }
        TrustAnchors anchors = TrustAnchors.fromPem(rootPem, "cert-dir:" + dir.resolve(ROOT));
        return new Loaded(WorkloadCertificate.of(key, chain), anchors, digest(List.of(chainPem, keyPem, rootPem)));
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new CertificateException(f + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static byte[] digest(List<String> parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            parts.forEach(p -> md.update(p.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void poll() {
        try {
            Loaded l = load(dir);
            if (Arrays.equals(l.digest(), lastDigest)) {
                return;
            }
            lastDigest = l.digest();
            store.setTrustAnchors(l.anchors());
            store.setCertificate(l.certificate());
            LOG.info("Certificate directory reloaded [{}]", dir);
        } catch (RuntimeException e) {
            LOG.warn("Certificate directory not usable, keeping the certificate in force [{}]: {}", dir, e.getMessage());
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
