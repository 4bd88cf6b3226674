package io.isthmus.e2e.driver;

import io.isthmus.e2e.demo.ControlServer;
import io.isthmus.e2e.demo.DemoServer;
import io.isthmus.e2e.demo.PodIdentity;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.local.PodHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link MeshPod}'s control-port API (what the kind driver uses over port-forward) against a real
 * demo app and control server on loopback: the transport here is a plain HTTP client.
 */
class MeshPodTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private DemoServer app;
    private ControlServer control;
    private MeshPod pod;

    @BeforeEach
    void start() {
        // As a kind pod reports it: the node's name as its zone.
        app = DemoServer.start(new PodIdentity("reviews", "default", "east", "east-worker", "reviews-v1-0", "v1"),
                new InetSocketAddress("127.0.0.1", 0));
        control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(app));
        pod = new LoopbackPod(control.port());
    }

    @AfterEach
    void stop() {
        control.close();
        app.close();
    }

    private String appUrl() {
        return "http://127.0.0.1:" + app.port() + "/reviews/1";
    }

    @Test
    void a_call_returns_the_demo_app_s_fields() {
        PodHandle.CallResult r = pod.call(appUrl());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.field("cluster")).isEqualTo("east");
        assertThat(r.field("pod")).isEqualTo("reviews-v1-0");
        assertThat(r.field("version")).isEqualTo("v1");
        assertThat(pod.fetch(appUrl()).field("service")).isEqualTo("reviews");
        assertThat(pod.healthy()).isTrue();
    }

    @Test
    void steady_load_is_started_read_and_stopped_and_faults_show_in_it() {
        pod.startLoad("l", appUrl(), Duration.ofMillis(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> pod.loadStats("l").ok() >= 5);
        pod.fault(503, Duration.ZERO);
        await().atMost(Duration.ofSeconds(10)).until(() -> pod.loadStats("l").failed() >= 1);
        pod.fault(0, Duration.ZERO);
        LoadReport all = pod.stopLoad("l");
        assertThat(all.samples()).isNotEmpty().allMatch(s -> s.zone().equals("east-worker") || s.status() != 200);
        assertThat(all.failures()).allMatch(s -> s.status() == 503);
        assertThatThrownBy(() -> pod.loadStats("l")).hasMessageContaining("no load named l");
    }

    /** A pod whose control port is reached directly on loopback. */
    private record LoopbackPod(int port) implements MeshPod {
        @Override
        public boolean hasSidecar() {
            return true;
        }

        @Override
        public String name() {
            return "reviews-v1-0";
        }

        @Override
        public String cluster() {
            return "east";
        }

        @Override
        public String zone() {
            return "us-east-1a";
        }

        @Override
        public String address() {
            return "127.0.0.1";
        }

        @Override
        public String control(String pathAndQuery, Duration timeout) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                        .timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(pathAndQuery + ": " + r.statusCode() + " " + r.body());
                }
                return r.body();
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
