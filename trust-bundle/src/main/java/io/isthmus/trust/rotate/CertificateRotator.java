package io.isthmus.trust.rotate;

import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.Csr;
import io.isthmus.trust.SpiffeId;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a certificate fresh: obtains one through an asynchronous issue function, renews it when a configured
 * fraction of its lifetime has passed (default 50 %, with jitter), retries failures with exponential backoff,
 * and hands every new key and chain to its listeners.
 *
 * <p>No exception, from the issue function or a listener, stops the rotation. Thread-safe; timers run on the
 * given scheduler (a private single daemon thread by default).
 */
public final class CertificateRotator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateRotator.class);

    private final RotationPolicy policy;
    private final Supplier<CompletionStage<CertifiedKey>> issue;
    private final Clock clock;
    private final Random random;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final String name;
    private final List<Consumer<CertifiedKey>> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<CertifiedKey> first = new CompletableFuture<>();
    private volatile CertifiedKey current;
    private volatile Instant nextRenewal;
    private volatile ScheduledFuture<?> timer;
    private volatile boolean closed;
    private int failures;

    private CertificateRotator(Builder b) {
        this.policy = b.policy;
        this.issue = b.issue;
        this.clock = b.clock;
        this.random = b.random;
        this.name = b.name;
        this.ownScheduler = b.scheduler == null;
        this.scheduler = ownScheduler ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cert-rotator-" + b.name);
            t.setDaemon(true);
            return t;
        }) : b.scheduler;
    }

    /** A builder for a rotator that obtains certificates from {@code issue}. */
    public static Builder builder(Supplier<CompletionStage<CertifiedKey>> issue) {
        return new Builder(issue);
    }

    /**
     * A builder for a rotator that generates a fresh EC P-256 key and CSR for {@code id} on every renewal and
     * sends the CSR PEM to {@code signer}, which answers with the chain (leaf first).
     */
    public static Builder forCsr(SpiffeId id, Function<String, CompletionStage<List<X509Certificate>>> signer) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(signer, "signer");
        return new Builder(() -> {
            Csr.KeyAndCsr k = Csr.generate(id);
            return signer.apply(k.pem()).thenApply(k::complete);
        }).name(id.toString());
    }

    /** When a certificate should be renewed: notBefore + fraction × lifetime, shifted by {@code jitter} × lifetime. */
    public static Instant renewalTime(CertifiedKey key, double fraction, double jitter) {
        return renewalTime(key.notBefore(), key.notAfter(), fraction, jitter);
    }

    /**
     * When a certificate valid from {@code start} to {@code notAfter} should be renewed. A certificate that has
     * just arrived counts from its arrival, not from its backdated notBefore, so that a short-lived one is not
     * renewed at once.
     */
    public static Instant renewalTime(Instant start, Instant notAfter, double fraction, double jitter) {
        long life = Math.max(0, Duration.between(start, notAfter).toMillis());
        long at = (long) (life * Math.min(1.0, Math.max(0.0, fraction + jitter)));
        return start.plusMillis(at);
    }

    /** Adds a listener called with every new key and chain (on the rotator's thread). */
    public CertificateRotator addListener(Consumer<CertifiedKey> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /** Obtains the first certificate (retrying until it succeeds) and schedules its renewals. */
    public CompletableFuture<CertifiedKey> start() {
        scheduler.execute(this::attempt);
        return first;
    }

    /** Starts from an existing certificate; the first renewal is scheduled from its lifetime. */
    public CompletableFuture<CertifiedKey> start(CertifiedKey initial) {
        Objects.requireNonNull(initial, "initial");
        scheduler.execute(() -> accept(initial, initial.notBefore()));
        return first;
    }

    /** Renews now, whatever the schedule says; completes with the new key or the failure of this attempt. */
    public CompletableFuture<CertifiedKey> rotateNow() {
        CompletableFuture<CertifiedKey> done = new CompletableFuture<>();
        scheduler.execute(() -> attempt(done));
        return done;
    }

    /** The key and chain in force, if one was obtained. */
    public Optional<CertifiedKey> current() {
        return Optional.ofNullable(current);
    }

    /** When the next renewal (or retry) is due. */
    public Optional<Instant> nextRenewal() {
        return Optional.ofNullable(nextRenewal);
    }

    /** The first certificate, when it arrives. */
    public CompletableFuture<CertifiedKey> firstCertificate() {
        return first;
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        if (ownScheduler) {
            scheduler.shutdownNow();
        }
    }

    private void attempt() {
        attempt(null);
    }

    private void attempt(CompletableFuture<CertifiedKey> done) {
        if (closed) {
            return;
        }
        CompletionStage<CertifiedKey> stage;
        try {
            stage = Objects.requireNonNull(issue.get(), "issue function returned null");
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((key, error) -> {
            try {
                scheduler.execute(() -> {
                    if (error != null || key == null) {
                        Throwable cause = error != null ? error : new IllegalStateException("issue returned no certificate");
                        failed(cause);
                        if (done != null) {
                            done.completeExceptionally(cause);
                        }
                    } else {
                        accept(key, clock.instant());
                        if (done != null) {
                            done.complete(key);
                        }
                    }
                });
            } catch (RuntimeException rejected) {
                // the scheduler is shut down: the rotator was closed meanwhile
                if (done != null) {
                    done.completeExceptionally(rejected);
                }
            }
        });
    }

    private void accept(CertifiedKey key, Instant receivedAt) {
        if (closed) {
            return;
        }
        failures = 0;
        current = key;
        double jitter = policy.jitter() == 0 ? 0 : (random.nextDouble() * 2 - 1) * policy.jitter();
        Instant start = key.notBefore().isAfter(receivedAt) ? key.notBefore() : receivedAt;
        Instant at = renewalTime(start, key.notAfter(), policy.renewAt(), jitter);
        LOG.info("certificate obtained [{}] notAfter={} renewAt={}", name, key.notAfter(), at);
        for (Consumer<CertifiedKey> l : listeners) {
            try {
                l.accept(key);
            } catch (RuntimeException e) {
                LOG.warn("certificate listener failed [{}]: {}", name, e.toString());
            }
        }
        first.complete(key);
        schedule(at);
    }

    private void failed(Throwable cause) {
        if (closed) {
            return;
        }
        failures++;
        long base = policy.minBackoff().toMillis() << Math.min(failures - 1, 20);
        long capped = Math.min(base, policy.maxBackoff().toMillis());
        long delay = capped / 2 + (long) (random.nextDouble() * (capped / 2.0));
        Instant at = clock.instant().plusMillis(delay);
        CertifiedKey c = current;
        if (c != null && clock.instant().isAfter(c.notAfter())) {
            LOG.error("certificate expired and renewal keeps failing [{}] attempt={} notAfter={} retryIn={}ms: {}",
                    name, failures, c.notAfter(), delay, cause.toString());
        } else {
            LOG.warn("certificate renewal failed [{}] attempt={} retryIn={}ms currentNotAfter={}: {}", name, failures,
                    delay, c == null ? "none" : c.notAfter(), cause.toString());
        }
        schedule(at);
    }

    private void schedule(Instant at) {
        if (closed) {
            return;
        }
        nextRenewal = at;
        long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
        try {
            timer = scheduler.schedule((Runnable) this::attempt, delay, TimeUnit.MILLISECONDS);
        } catch (RuntimeException rejected) {
            LOG.debug("rotator stopped [{}]: {}", name, rejected.toString());
        }
    }

    /** Options of a {@link CertificateRotator}. */
    public static final class Builder {
        private final Supplier<CompletionStage<CertifiedKey>> issue;
        private RotationPolicy policy = RotationPolicy.defaults();
        private Clock clock = Clock.systemUTC();
        private Random random = new Random();
        private ScheduledExecutorService scheduler;
        private String name = "default";

        private Builder(Supplier<CompletionStage<CertifiedKey>> issue) {
            this.issue = Objects.requireNonNull(issue, "issue");
        }

        /** When and how to renew (default: 50 % of lifetime, ±5 % jitter, 1 s..30 s backoff). */
        public Builder policy(RotationPolicy p) {
            this.policy = Objects.requireNonNull(p, "policy");
            return this;
        }

        /** The clock deciding when renewals are due (default: system UTC). */
        public Builder clock(Clock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        /** The source of jitter (default: a new {@link Random}). */
        public Builder random(Random r) {
            this.random = Objects.requireNonNull(r, "random");
            return this;
        }

        /** The scheduler to run on (default: a private daemon thread, stopped by {@link #close()}). */
        public Builder scheduler(ScheduledExecutorService s) {
            this.scheduler = Objects.requireNonNull(s, "scheduler");
            return this;
        }

        /** A name for log lines, e.g. the SPIFFE ID. */
        public Builder name(String n) {
            this.name = Objects.requireNonNull(n, "name");
            return this;
        }

        /** The rotator, not yet started. */
        public CertificateRotator build() {
            return new CertificateRotator(this);
        }
    }
}
