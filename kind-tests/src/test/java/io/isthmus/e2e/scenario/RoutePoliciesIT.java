package io.isthmus.e2e.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.MeshPod;
import io.isthmus.e2e.support.FederationExtension;
import io.isthmus.e2e.support.Mesh;
import io.isthmus.e2e.support.Metrics;
import io.isthmus.e2e.support.ScenarioReport;
import io.isthmus.e2e.support.SharedFederation;
import io.isthmus.mesh.MeshLabels;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A VirtualService's fault injection, URI rewrite, header operations and mirroring, from east's client to reviews: an
 * injected abort is answered by the client's own sidecar (reviews never sees it, and it is not retried), an injected
 * delay holds the request that long before it goes out, a rewritten prefix reaches the app as the new path, headers
 * set and added (on the route and on its destination, one rendered from %DOWNSTREAM_LOCAL_PORT%) and the authority set
 * by {@code headers.request.set} reach the app, a direct response and a redirect are given by the client's sidecar, a
 * CORS preflight from an allowed origin is answered by the client's sidecar (and one from another origin is not), and
 * a mirror sends a
 * copy of each request to details in west, across the networks through west's east-west gateway, while the caller
 * gets reviews' answer.
 */
@Order(15)
@ExtendWith(FederationExtension.class)
class RoutePoliciesIT {
    private static final String REVIEWS = MeshLabels.serviceHostname("reviews", "default");
    private static final String DETAILS = MeshLabels.serviceHostname("details", "default");
    private static final String BASE = "http://" + REVIEWS + ":9080";
    private static final String POLICIES = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-policies, namespace: default}
            spec:
              hosts: [%1$s]
              http:
                - match: [{uri: {prefix: /reviews/fault}}]
                  fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
                  route: [{destination: {host: %1$s}}]
                - match: [{uri: {prefix: /reviews/slow}}]
                  fault: {delay: {fixedDelay: 400ms}}
                  route: [{destination: {host: %1$s}}]
                - match: [{uri: {prefix: /old/}}]
                  rewrite: {uri: /reviews/renamed/}
                  route: [{destination: {host: %1$s}}]
                - match: [{uri: {prefix: /shelf/}}]
                  rewrite: {uriRegexRewrite: {match: "^/shelf/([a-z]+)/([0-9]+)$", rewrite: '/reviews/\\2/by/\\1'}}
                  route: [{destination: {host: %1$s}}]
                - match: [{uri: {prefix: /reviews/headers}}]
                  headers:
                    request:
                      set: {x-echo-env: prod, ":authority": reviews-internal.default}
                      add: {x-echo-local-port: "%%DOWNSTREAM_LOCAL_PORT%%"}
                  route:
                    - destination: {host: %1$s}
                      headers: {request: {set: {x-echo-destination: reviews}}}
                - match: [{uri: {exact: /reviews/maintenance}}]
                  directResponse: {status: 503, body: {string: "reviews is down for maintenance"}}
                - match: [{uri: {prefix: /reviews/moved/}}]
                  redirect: {uri: /reviews/new, redirectCode: 308}
                - match: [{uri: {prefix: /reviews/cors}}]
                  corsPolicy:
                    allowOrigins: [{exact: "https://shop.example"}]
                    allowMethods: [GET, POST]
                    allowHeaders: [x-shop-token]
                    exposeHeaders: [x-served-by]
                    maxAge: 600s
                    allowCredentials: true
                  route: [{destination: {host: %1$s}}]
                - match: [{uri: {prefix: /reviews/mirrored}}]
                  mirror: {host: %2$s}
                  mirrorPercentage: {value: 100}
                  route: [{destination: {host: %1$s}}]
                - route: [{destination: {host: %1$s}}]
            """.formatted(REVIEWS, DETAILS);
    private static Federation fed;
    private static MeshPod client;

    @BeforeAll
    static void up(Federation federation) {
        fed = federation;
        client = fed.pod("east", "client");
        fed.cluster("east").applyConfig(POLICIES);
        await("the policies reach east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> client.call(BASE + "/reviews/fault").status() == 418);
    }

    @AfterAll
    static void down() {
        fed.cluster("east").deleteConfig(POLICIES);
        await("the policies are gone from east's client proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> client.call(BASE + "/reviews/fault").status() == 200);
    }

    @Test
    void anInjectedAbortIsAnsweredByTheCallersSidecarAndNotRetried() {
        String before = client.call("http://127.0.0.1:15090/stats/prometheus").body();
        for (int i = 0; i < 10; i++) {
            assertThat(client.call(BASE + "/reviews/fault").status()).isEqualTo(418);
        }
        assertThat(client.call(BASE + "/reviews").status()).as("the other routes are untouched").isEqualTo(200);
        String after = client.call("http://127.0.0.1:15090/stats/prometheus").body();
        String[] labels = {"reporter=\"source\"", "destination_service=\"" + REVIEWS + "\"", "response_code=\"418\"",
                "response_flags=\"FI\""};
        assertThat(Metrics.sum(after, "istio_requests_total", labels) - Metrics.sum(before, "istio_requests_total", labels))
                .as("source-reported 418s flagged FI (fault injected)").isEqualTo(10);
        ScenarioReport.of("route-policies-abort").count(10, 0).outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    void aCorsPreflightFromAnAllowedOriginIsAnsweredByTheCallersSidecar() {
        var preflight = client.request("OPTIONS", BASE + "/reviews/cors/list", java.util.Map.of("Origin", "https://shop.example",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-shop-token"));
        assertThat(preflight.status()).as("%s", preflight).isEqualTo(200);
        assertThat(preflight.body()).as("answered by the sidecar, not by reviews").doesNotContain("\"service\"");
        assertThat(preflight.header("access-control-allow-origin")).isEqualTo("https://shop.example");
        assertThat(preflight.header("access-control-allow-methods")).isEqualTo("GET,POST");
        assertThat(preflight.header("access-control-allow-headers")).isEqualTo("x-shop-token");
        assertThat(preflight.header("access-control-max-age")).isEqualTo("600");
        assertThat(preflight.header("access-control-allow-credentials")).isEqualTo("true");

        var get = client.request("GET", BASE + "/reviews/cors/list", java.util.Map.of("Origin", "https://shop.example"));
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).as("the actual request reaches reviews").contains("\"service\":\"reviews\"");
        assertThat(get.header("access-control-allow-origin")).isEqualTo("https://shop.example");
        assertThat(get.header("access-control-expose-headers")).isEqualTo("x-served-by");

        var other = client.request("GET", BASE + "/reviews/cors/list", java.util.Map.of("Origin", "https://evil.example"));
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.header("access-control-allow-origin")).as("another origin gets no CORS headers").isNull();
        var otherPreflight = client.request("OPTIONS", BASE + "/reviews/cors/list", java.util.Map.of(
                "Origin", "https://evil.example", "Access-Control-Request-Method", "POST"));
        assertThat(otherPreflight.header("access-control-allow-origin")).isNull();
        ScenarioReport.of("route-policies-cors").outcome("passed").write(SharedFederation.reportDir());
    }

    @Test
    void anInjectedDelayHoldsTheRequestBeforeItGoesOut() {
        var slow = client.call(BASE + "/reviews/slow");
        assertThat(slow.status()).isEqualTo(200);
        assertThat(slow.body()).contains("\"service\":\"reviews\"");
        assertThat(slow.latencyMicros()).as("at least the injected 400 ms").isGreaterThanOrEqualTo(400_000);
    }

    @Test
    void aRewrittenPrefixReachesTheAppAsTheNewPath() {
        var r = client.call(BASE + "/old/42");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"service\":\"reviews\"").contains("\"path\":\"/reviews/renamed/42\"");
    }

    @Test
    void aUriRegexRewriteReachesTheAppWithItsGroupsSwapped() {
        var r = client.call(BASE + "/shelf/books/17");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"path\":\"/reviews/17/by/books\"");
    }

    @Test
    void headerOperationsAndTheAuthorityReachTheApp() {
        var r = client.call(BASE + "/reviews/headers");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"service\":\"reviews\"")
                .contains("\"x-echo-env\":\"prod\"")
                .contains("\"x-echo-destination\":\"reviews\"")
                .contains("\"x-echo-local-port\":\"9080\"")
                .contains("\"authority\":\"reviews-internal.default\"");
        var plain = client.call(BASE + "/reviews");
        assertThat(plain.body()).contains("\"echo\":{}").contains("\"authority\":\"" + REVIEWS + ":9080\"");
    }

    @Test
    void aDirectResponseIsGivenByTheCallersSidecar() {
        var r = client.call(BASE + "/reviews/maintenance");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).isEqualTo("reviews is down for maintenance");
    }

    @Test
    void aRedirectIsGivenByTheCallersSidecarWithTheLocation() {
        var r = client.fetch(BASE + "/reviews/moved/7?full=1");
        assertThat(r.status()).isEqualTo(308);
        assertThat(r.location()).isEqualTo("http://" + REVIEWS + ":9080/reviews/new?full=1");
    }

    @Test
    void aMirrorCopiesEachRequestToDetailsInWestAndTheCallerGetsReviewsAnswer() {
        MeshPod details = fed.pod("west", "details");
        String[] labels = {"reporter=\"destination\"", "source_principal=\"" + Mesh.CLIENT_ID + "\"",
                "response_code=\"200\""};
        double before = Metrics.sum(details.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_requests_total", labels);
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            var r = client.call(BASE + "/reviews/mirrored");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"service\":\"reviews\"");
        }
        await("details in west counts the copies, sent with the client's identity through west's gateway")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> Metrics.sum(details.call("http://127.0.0.1:15090/stats/prometheus").body(), "istio_requests_total",
                        labels) - before >= calls);
        ScenarioReport.of("route-policies-mirror").count(calls, 0).outcome("passed").write(SharedFederation.reportDir());
    }
}
