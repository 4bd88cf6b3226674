package io.isthmus.sidecar.admin;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.isthmus.mesh.Locality;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CertificateStore;
import io.isthmus.sidecar.cert.TrustAnchors;
import io.isthmus.sidecar.xds.ResourceStore;
import io.isthmus.trust.testing.TestPki;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class AdminServerTest {
    @TempDir
    Path dir;
    final Vertx vertx = Vertx.vertx();
    final HttpClient http = HttpClient.newHttpClient();
    AdminServer server;

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        vertx.close();
    }

    HttpResponse<String> send(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthFollowsReadinessAndAdminServesClustersAndLogging() throws Exception {
        TestPki pki = TestPki.create(dir);
        CertificateStore certs = new CertificateStore(TrustAnchors.fromPem(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(pki.rootCertificate())), "file:r"));
        Readiness readiness = new Readiness();
        ClusterStatusSource clusters = () -> List.of(
                new EndpointStatus("outbound|9080||reviews", "10.1.0.7", 9080, new Locality("r", "z", ""), 0, 1, "HEALTHY", false, 2,
                        EndpointStatus.PLAINTEXT),
                new EndpointStatus("outbound|9080||reviews", "10.255.0.2", 15443, Locality.of("r2", "z"), 1, 3, "HEALTHY", true, 0,
                        EndpointStatus.MESH_MTLS));
        server = new AdminServer(vertx, new AdminServer.Sources(new NodeInfo(Node.newBuilder().setId("n").build()),
                new ResourceStore(), clusters, certs, readiness, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
                java.util.Optional::empty));
        server.start("127.0.0.1", 0, "127.0.0.1", 0, 0).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

        var notReady = send(server.healthPort(), "GET", "/healthz/ready");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).contains("certificate").contains("config");
        readiness.set(Readiness.CERTIFICATE, true);
        readiness.set(Readiness.CONFIG, true);
        assertThat(send(server.healthPort(), "GET", "/healthz/ready").statusCode()).isEqualTo(200);
        readiness.set(Readiness.NOT_DRAINING, false);
        assertThat(send(server.healthPort(), "GET", "/healthz/ready").body()).contains("not-draining");

        String text = send(server.adminPort(), "GET", "/clusters").body();
        assertThat(text).contains("outbound|9080||reviews::10.1.0.7:9080::rq_active::2")
                .contains("outbound|9080||reviews::10.255.0.2:15443::health_flags::/failed_outlier_check")
                .contains("outbound|9080||reviews::10.255.0.2:15443::priority::1")
                .contains("outbound|9080||reviews::10.255.0.2:15443::transport::mtls")
                .contains("outbound|9080||reviews::10.1.0.7:9080::transport::plaintext");
        assertThat(send(server.adminPort(), "GET", "/clusters?format=json").body()).contains("\"ejected\" : true")
                .contains("\"transport\" : \"mtls\"");
        assertThat(send(server.adminPort(), "GET", "/nope").statusCode()).isEqualTo(404);

        LoggerFactory.getLogger("io.isthmus.sidecar.admin.Probe").info("probe");
        var set = send(server.adminPort(), "POST", "/logging?io.isthmus.sidecar.admin.Probe=debug");
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(LoggerFactory.getLogger("io.isthmus.sidecar.admin.Probe").isDebugEnabled()).isTrue();
        assertThat(send(server.adminPort(), "GET", "/logging").body()).contains("io.isthmus.sidecar.admin.Probe: debug");
        assertThat(send(server.adminPort(), "POST", "/logging?level=loud").statusCode()).isEqualTo(400);
        assertThat(send(server.metricsPort(), "GET", "/stats/prometheus").statusCode()).isEqualTo(200);
    }
}
