package io.isthmus.e2e.demo;

import io.isthmus.e2e.local.LoadReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DemoAppTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private DemoServer app;
    private ControlServer control;
    private String appUrl;

    @BeforeEach
    void start() {
        app = DemoServer.start(new PodIdentity("reviews", "default", "east", "us-east-1a", "reviews-v1-0", "v1"),
                new InetSocketAddress("127.0.0.1", 0));
        control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(app));
        appUrl = "http://127.0.0.1:" + app.port() + "/reviews/1";
    }

    @AfterEach
    void stop() {
        control.close();
        app.close();
    }

    private HttpResponse<String> get(String url, String xfcc) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (xfcc != null) {
            b.header("X-Forwarded-Client-Cert", xfcc);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String control(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = get("http://127.0.0.1:" + control.port() + pathAndQuery, null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void answers_with_who_it_is_and_who_called() throws Exception {
        HttpResponse<String> r = get(appUrl, "By=spiffe://cluster.local/ns/default/sa/bookinfo-reviews;Hash=ab;"
                + "URI=spiffe://cluster.local/ns/default/sa/client");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.field(r.body(), "cluster")).isEqualTo("east");
        assertThat(Json.field(r.body(), "zone")).isEqualTo("us-east-1a");
        assertThat(Json.field(r.body(), "pod")).isEqualTo("reviews-v1-0");
        assertThat(Json.field(r.body(), "version")).isEqualTo("v1");
        assertThat(Json.field(r.body(), "path")).isEqualTo("/reviews/1");
        assertThat(Json.field(r.body(), "caller")).isEqualTo("spiffe://cluster.local/ns/default/sa/client");
        assertThat(Json.field(get(appUrl, null).body(), "caller")).isEmpty();
    }

    @Test
    void the_control_port_calls_from_inside_and_injects_faults() throws Exception {
        String call = control("/call?url=" + URLEncoder.encode(appUrl, StandardCharsets.UTF_8));
        assertThat(Json.field(call, "status")).isEqualTo("200");
        assertThat(Json.field(call, "body")).contains("reviews-v1-0");

        control("/fault?code=503");
        assertThat(get(appUrl, null).statusCode()).isEqualTo(503);
        control("/fault?code=0&delayMs=50");
        HttpResponse<String> slow = get(appUrl, null);
        assertThat(slow.statusCode()).isEqualTo(200);

        HttpResponse<String> bad = get("http://127.0.0.1:" + control.port() + "/fault?code=42", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("failWith");
        assertThat(get("http://127.0.0.1:" + control.port() + "/call", null).body()).contains("'url' is required");
    }

    @Test
    void a_call_that_cannot_connect_reports_status_zero_and_why() throws Exception {
        String call = control("/call?url=" + URLEncoder.encode("http://127.0.0.1:1/", StandardCharsets.UTF_8));
        assertThat(Json.field(call, "status")).isEqualTo("0");
        assertThat(Json.field(call, "error")).contains("ConnectException");
    }

    @Test
    void steady_load_counts_every_request_by_cluster() throws Exception {
        control("/load/start?name=l&intervalMs=10&url=" + URLEncoder.encode(appUrl, StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(20)).until(() -> LoadReport.parse(control("/load/stats?name=l")).ok() >= 20);
        control("/fault?code=500");
        await().atMost(Duration.ofSeconds(20)).until(() -> LoadReport.parse(control("/load/stats?name=l")).failed() >= 5);
        control("/fault?code=0");
        LoadReport r = LoadReport.parse(control("/load/stop?name=l"));
        assertThat(r.sent()).isEqualTo(r.ok() + r.failed());
        assertThat(r.samples()).hasSize((int) r.sent());
        assertThat(r.byCluster()).containsOnlyKeys("east");
        assertThat(r.failures()).allMatch(s -> s.status() == 500);
        assertThat(r.firstOkFrom("east", 0)).isPresent();
    }
}
