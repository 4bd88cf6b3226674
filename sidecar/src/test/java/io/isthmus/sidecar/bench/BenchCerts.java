package io.isthmus.sidecar.bench;

import io.isthmus.trust.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a test PKI and two workload directories (client, server) for the benchmark: {@code BenchCerts DIR}. */
public final class BenchCerts {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        TestPki pki = TestPki.create(dir.resolve("pki"));
        pki.writeWorkloadDir("east", "default", "productpage", Files.createDirectories(dir.resolve("client")));
        pki.writeWorkloadDir("east", "default", "reviews", Files.createDirectories(dir.resolve("server")));
    }
}
