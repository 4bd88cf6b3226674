package io.isthmus.sidecar.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.sidecar.testing.MeshPair;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.trust.CertifiedKey;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot rotation: certificates replaced on both sides in the middle of steady traffic, with no failed request. */
class CertRotationTest {

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void rotationMidTrafficFailsNothingAndNewHandshakesUseTheNewCertificate() throws Exception {
        MeshPair pair = new MeshPair(mesh, true, List.of());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            workers.add(pool.submit(() -> {
                while (running.get()) {
                    if (pair.get(mesh, "/steady").status() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= 50);
        CertifiedKey newClient = mesh.pki.workload("east", "default", "productpage");
        pair.clientCerts.set(mesh.material(newClient));
        pair.serverCerts.set(mesh.material(mesh.pki.workload("east", "default", "reviews")));
        int atRotation = ok.get();
        pair.applyClientCluster(2);
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= atRotation + 100);
        running.set(false);
        for (Future<?> w : workers) {
            w.get();
        }
        pool.shutdown();

        assertThat(failed.get()).isZero();
        pair.applyClientCluster(3);
        assertThat(pair.get(mesh, "/after").status()).isEqualTo(200);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(newClient.certificate().getEncoded()));
        assertThat(pair.app.lastHeaders.get().get("x-forwarded-client-cert")).contains("Hash=" + hash);
    }
}
