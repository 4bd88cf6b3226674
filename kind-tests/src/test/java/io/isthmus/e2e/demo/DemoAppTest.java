package io.isthmus.e2e.demo;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.isthmus.e2e.demo.v1.DemoGrpc;
import io.isthmus.e2e.demo.v1.HelloReply;
import io.isthmus.e2e.demo.v1.HelloRequest;
import io.isthmus.e2e.local.EdgePki;
import io.isthmus.e2e.local.LoadReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class DemoAppTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private DemoServer app;
    private ControlServer control;
    private String appUrl;
    private String grpcTarget;

    @BeforeEach
    void start() {
        app = DemoServer.start(new PodIdentity("reviews", "default", "east", "us-east-1a", "reviews-v1-0", "v1"),
                new InetSocketAddress("127.0.0.1", 0));
        control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), List.of(app));
        appUrl = "http://127.0.0.1:" + app.port() + "/reviews/1";
        grpcTarget = "127.0.0.1:" + app.port();
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

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void grpc_hello_on_the_http_port_answers_with_who_it_is_and_who_called() throws Exception {
        Metadata xfcc = new Metadata();
        xfcc.put(Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER),
                "By=spiffe://cluster.local/ns/default/sa/bookinfo-reviews;Hash=ab;URI=spiffe://cluster.local/ns/default/sa/client");
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
        try {
            DemoGrpc.DemoBlockingStub stub = DemoGrpc.newBlockingStub(ch).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS);
            HelloReply r = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(xfcc))
                    .hello(HelloRequest.newBuilder().setName("n").build());
            assertThat(r.getCluster()).isEqualTo("east");
            assertThat(r.getZone()).isEqualTo("us-east-1a");
            assertThat(r.getPod()).isEqualTo("reviews-v1-0");
            assertThat(r.getVersion()).isEqualTo("v1");
            assertThat(r.getName()).isEqualTo("n");
            assertThat(r.getPort()).isEqualTo(app.port());
            assertThat(r.getCaller()).isEqualTo("spiffe://cluster.local/ns/default/sa/client");
            assertThat(stub.hello(HelloRequest.getDefaultInstance()).getCaller()).isEmpty();
            // The same port still answers plain HTTP.
            assertThat(Json.field(get(appUrl, null).body(), "pod")).isEqualTo("reviews-v1-0");

            app.faults(new Faults(503, Duration.ZERO));
            assertThatThrownBy(() -> stub.hello(HelloRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE));
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void the_control_port_makes_grpc_calls_and_streams_with_trailers() throws Exception {
        String hello = control("/grpc/hello?name=x&target=" + enc(grpcTarget));
        assertThat(Json.field(hello, "status")).isEqualTo("OK");
        assertThat(Json.field(hello, "responded")).isEqualTo("true");
        assertThat(hello).contains("\"cluster\":\"east\"", "\"name\":\"x\"", "\"x-demo-pod\":\"reviews-v1-0\"");

        String watch = control("/grpc/watch?count=5&intervalMs=10&target=" + enc(grpcTarget));
        assertThat(Json.field(watch, "status")).isEqualTo("OK");
        for (int i = 1; i <= 5; i++) {
            assertThat(watch).contains("\"seq\":" + i);
        }
        assertThat(watch).doesNotContain("\"seq\":6").contains("\"x-demo-sent\":\"5\"", "\"x-demo-pod\":\"reviews-v1-0\"");

        HttpResponse<String> bad = get("http://127.0.0.1:" + control.port() + "/grpc/watch?count=0&target=" + enc(grpcTarget), null);
        assertThat(Json.field(bad.body(), "status")).isEqualTo("INVALID_ARGUMENT");
        assertThat(get("http://127.0.0.1:" + control.port() + "/grpc/hello", null).body()).contains("'target' is required");
        assertThat(Json.field(control("/grpc/hello?target=nonsense"), "status")).isEqualTo("INVALID_ARGUMENT");
    }

    @Test
    void faults_fail_grpc_calls_with_their_status_after_their_delay() throws Exception {
        control("/fault?code=503");
        String unavailable = control("/grpc/hello?target=" + enc(grpcTarget));
        assertThat(Json.field(unavailable, "status")).isEqualTo("UNAVAILABLE");
        assertThat(Json.field(unavailable, "responded")).isEqualTo("true");
        assertThat(unavailable).contains("\"x-demo-pod\":\"reviews-v1-0\"");
        assertThat(Json.field(control("/grpc/watch?count=3&target=" + enc(grpcTarget)), "status")).isEqualTo("UNAVAILABLE");

        control("/fault?code=0&grpc=internal");
        assertThat(get(appUrl, null).statusCode()).as("HTTP stays healthy").isEqualTo(200);
        assertThat(Json.field(control("/grpc/hello?target=" + enc(grpcTarget)), "status")).isEqualTo("INTERNAL");

        control("/fault?code=0&delayMs=3000");
        String late = control("/grpc/hello?timeoutMs=200&target=" + enc(grpcTarget));
        assertThat(Json.field(late, "status")).isEqualTo("DEADLINE_EXCEEDED");
        control("/fault?code=0");
        assertThat(Json.field(control("/grpc/hello?target=" + enc(grpcTarget)), "status")).isEqualTo("OK");

        HttpResponse<String> bad = get("http://127.0.0.1:" + control.port() + "/fault?grpc=SOMETIMES", null);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("SOMETIMES");
    }

    @Test
    void a_grpc_call_that_cannot_connect_reports_no_answer() throws Exception {
        String call = control("/grpc/hello?target=" + enc("127.0.0.1:1"));
        assertThat(Json.field(call, "status")).isEqualTo("UNAVAILABLE");
        assertThat(Json.field(call, "responded")).isEqualTo("false");
        try (GrpcCaller c = new GrpcCaller()) {
            assertThat(c.helloSample("127.0.0.1:1", Duration.ofSeconds(5)).status()).isZero();
        }
    }

    @Test
    void grpc_load_counts_every_call_by_cluster() throws Exception {
        control("/load/start?name=g&intervalMs=10&url=" + enc(ControlServer.GRPC_SCHEME + grpcTarget));
        await().atMost(Duration.ofSeconds(20)).until(() -> LoadReport.parse(control("/load/stats?name=g")).ok() >= 20);
        control("/fault?code=503");
        await().atMost(Duration.ofSeconds(20)).until(() -> LoadReport.parse(control("/load/stats?name=g")).failed() >= 5);
        control("/fault?code=0");
        LoadReport r = LoadReport.parse(control("/load/stop?name=g"));
        assertThat(r.sent()).isEqualTo(r.ok() + r.failed());
        assertThat(r.byCluster()).containsOnlyKeys("east");
        assertThat(r.failures()).allMatch(s -> s.status() == 503 && s.error().contains("UNAVAILABLE"));
        assertThat(r.samples()).filteredOn(s -> s.status() == 200).allMatch(s -> s.version().equals("v1"));
    }

    @Test
    void tls_mode_reports_the_protocol_and_answers_http(@TempDir Path dir) throws Exception {
        EdgePki.Authority ca = EdgePki.Authority.create("demo test CA");
        EdgePki.write(ca.issue("localhost"), dir);
        Path trust = ca.writeCert(dir.resolve("ca.pem"));
        try (DemoServer tls = DemoServer.start(new PodIdentity("api", "external", "external", "", "api-0", "v1"),
                new InetSocketAddress("127.0.0.1", 0), DemoAppCommand.serverKeys(dir.resolve("cert.pem"), dir.resolve("key.pem")))) {
            Caller.Result r = new FreshCaller(trust).get("https://localhost:" + tls.port() + "/x", Duration.ofSeconds(10));
            assertThat(r.status()).as(r.error()).isEqualTo(200);
            assertThat(Json.field(r.body(), "tls")).startsWith("TLS");
            assertThat(Json.field(r.body(), "sni")).isEqualTo("localhost");
            assertThat(Json.field(r.body(), "path")).isEqualTo("/x");
        }
    }
}
