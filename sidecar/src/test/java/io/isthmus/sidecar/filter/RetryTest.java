package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retries: a 503 or a refused connection is retried on another endpoint; per-try timeouts; exhausted retries. */
class RetryTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer good;
    AppServer bad;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        good = mesh.app("good");
        bad = mesh.app("bad");
        bad.status.set(503);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private Outbound outbound(RetryPolicy retry) {
        Outbound out = Outbound.create(mesh, Outbound.cluster(null), RouteAction.newBuilder().setRetryPolicy(retry));
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0,
                Xds.lbEndpoint("127.0.0.1", good.port, 1), Xds.lbEndpoint("127.0.0.1", bad.port, 1))));
        return out;
    }

    @Test
    void aRetryAfterA503LandsOnTheHealthyEndpoint() {
        Outbound out = outbound(Xds.meshRetry());

        for (int i = 0; i < 40; i++) {
            TestMesh.Reply r = out.get(mesh, "/x");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("good");
        }
        assertThat(bad.hits.get()).isPositive();
    }

    @Test
    void aRefusedConnectionIsRetriedElsewhere() {
        bad.stop();
        Outbound out = outbound(Xds.meshRetry());

        for (int i = 0; i < 40; i++) {
            assertThat(out.get(mesh, "/x").status()).isEqualTo(200);
        }
    }

    @Test
    void aSlowAttemptIsCutByThePerTryTimeoutAndRetried() {
        bad.status.set(200);
        bad.delayMillis.set(10_000);
        // The per-try timeout must cut the slow endpoint yet never the good one: a loaded machine can take more
        // than 200 ms to answer even a fast request, which would then be cut and retried onto the slow endpoint.
        Outbound out = outbound(Xds.meshRetry().toBuilder().setRetryOn("5xx")
                .setPerTryTimeout(Duration.newBuilder().setSeconds(1)).build());

        for (int i = 0; i < 6; i++) {
            TestMesh.Reply r = out.get(mesh, "/x");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("good");
        }
    }

    @Test
    void exhaustedRetriesReportTheUpstreamAnswerWithUrx() {
        good.status.set(503);
        Outbound out = outbound(Xds.meshRetry().toBuilder().setNumRetries(UInt32Value.of(1)).build());

        TestMesh.Reply r = out.get(mesh, "/x");

        assertThat(r.status()).isEqualTo(503);
        assertThat(good.hits.get() + bad.hits.get()).isEqualTo(2);
    }

    @Test
    void withoutARetryPolicyA503IsPassedThrough() {
        Outbound out = outbound(RetryPolicy.newBuilder().setNumRetries(UInt32Value.of(0)).build());

        int failures = 0;
        for (int i = 0; i < 10; i++) {
            if (out.get(mesh, "/x").status() == 503) {
                failures++;
            }
        }
        assertThat(failures).isEqualTo(5);
    }
}
