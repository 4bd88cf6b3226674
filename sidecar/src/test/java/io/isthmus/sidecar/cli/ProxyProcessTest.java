package io.isthmus.sidecar.cli;

import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code isthmus proxy} as a real process: static bootstrap, cert dir, ready, SIGTERM, graceful stop. */
class ProxyProcessTest {
    @TempDir
    Path dir;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void startsBecomesReadyAndStopsOnSigterm() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path certs = dir.resolve("certs");
        Files.createDirectories(certs);
        pki.writeWorkloadDir("east", "default", "reviews", certs);
        int listenerPort = freePort();
        Path bootstrap = dir.resolve("bootstrap.yaml");
        Files.writeString(bootstrap, """
                node:
                  id: sidecar~127.0.0.1~reviews-0.default~default.svc.cluster.local
                  metadata: {NAMESPACE: default, SERVICE_ACCOUNT: reviews}
                static_resources:
                  listeners:
                  - name: in
                    address: {socket_address: {address: 127.0.0.1, port_value: %d}}
                    filter_chains:
                    - filters:
                      - name: envoy.filters.network.http_connection_manager
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                          stat_prefix: in
                          route_config:
                            virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: app}}]}]
                          http_filters:
                          - name: envoy.filters.http.router
                            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
                  clusters:
                  - name: app
                    type: STATIC
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: app
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]
                """.formatted(listenerPort));
        int health = freePort();
        int admin = freePort();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", classpath, ProxyCommand.class.getName(),
                "--bootstrap", bootstrap.toString(), "--cert-dir", certs.toString(),
                "--admin-port", Integer.toString(admin), "--health-port", Integer.toString(health),
                "--health-address", "127.0.0.1", "--metrics-port", Integer.toString(freePort()), "--drain-time", "1s"));
        Path log = dir.resolve("proxy.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + health + "/healthz/ready")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listenerPort + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("the static listener serves; its app is down").isEqualTo(503);

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("Proxy stopping").contains("Proxy stopped");
        } finally {
            p.destroyForcibly();
            System.out.println(Files.readString(log));
        }
    }
}
