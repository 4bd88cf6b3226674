package io.isthmus.trust.bench;

import io.isthmus.trust.Csr;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.ca.CertificateAuthority;
import io.isthmus.trust.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Workload issuances per second (CSR signature check + the issuance rules + signing the leaf), on one thread
 * and on N threads, for {@code bench/ca.sh}. Key and CSR generation happen beforehand and are not counted;
 * CSR PEM parsing is counted, as the CA service receives PEM.
 *
 * <p>Usage: {@code IssuanceBench THREADS SECONDS_PER_ROUND ROUNDS}; prints one line per round:
 * {@code round <i> threads <n> issuances_per_second <x>}.
 */
public final class IssuanceBench {
    private IssuanceBench() {
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        double seconds = Double.parseDouble(args[1]);
        int rounds = Integer.parseInt(args[2]);
        Path dir = Files.createTempDirectory("ca-bench");
        CertificateAuthority ca = TestPki.create(dir, "east").authority("east");
        SpiffeId id = SpiffeId.of("cluster.local", "default", "bench");
        String[] csrs = new String[256];
        for (int i = 0; i < csrs.length; i++) {
            csrs[i] = Csr.generate(id).pem();
        }
        // warm-up: let the JIT compile the signing paths before anything is measured
        long warmEnd = System.nanoTime() + 3_000_000_000L;
        for (int i = 0; System.nanoTime() < warmEnd; i++) {
            ca.issueWorkload(csrs[i % csrs.length], id, Duration.ofHours(24));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        double[] rates = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            AtomicBoolean stop = new AtomicBoolean();
            List<Future<Long>> parts = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int offset = t * 17;
                parts.add(pool.submit(() -> {
                    long n = 0;
                    while (!stop.get()) {
                        ca.issueWorkload(csrs[(int) ((n + offset) % csrs.length)], id, Duration.ofHours(24));
                        n++;
                    }
                    return n;
                }));
            }
            Thread.sleep((long) (seconds * 1000));
            stop.set(true);
            long total = 0;
            for (Future<Long> f : parts) {
                total += f.get();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            rates[r] = total / elapsed;
            System.out.printf("round %d threads %d issuances_per_second %.1f%n", r + 1, threads, rates[r]);
        }
        pool.shutdownNow();
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        System.out.printf("median threads %d issuances_per_second %.1f%n", threads, sorted[sorted.length / 2]);
    }
}
