package io.isthmus.sidecar.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.isthmus.mesh.OutboundName;
import io.isthmus.mesh.PeerMetadataExchange;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import io.vertx.core.http.HttpMethod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Istio's HTTP peer metadata exchange between two sidecars over mTLS, as the control plane configures it: each side
 * learns who the other is from its headers and labels its metrics with it, the apps never see the headers, and a
 * caller cannot claim a namespace its certificate is not in. The inbound side names the service by its cluster's
 * {@code istio.services} metadata.
 */
class PeerMetadataExchangeTest {

    private static final OutboundName SERVICE = Outbound.SERVICE;

    @TempDir
    Path dir;
    TestMesh mesh;
    AppServer app;
    DataPlane client;
    DataPlane server;
    int outboundPort;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    @Test
    void eachSideLabelsItsMetricsWithThePeerAndTheAppsNeverSeeTheHeaders() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), true, List.of("reviews.default.svc.cluster.local"));

        TestMesh.Reply reply = mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(app.lastHeaders.get().names()).as("the server's app gets no peer headers")
                .doesNotContain(PeerMetadataExchange.METADATA_HEADER, PeerMetadataExchange.ID_HEADER);
        assertThat(reply.header(PeerMetadataExchange.METADATA_HEADER)).as("nor does the calling app").isNull();
        assertThat(reply.header(PeerMetadataExchange.ID_HEADER)).isNull();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*destination_app=\"reviews\"[^}]*destination_cluster=\"west\""
                        + "[^}]*destination_version=\"v2\"[^}]*destination_workload=\"reviews-v2\""
                        + "[^}]*destination_workload_namespace=\"default\"[^}]*reporter=\"source\""));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"reviews.default.svc.cluster.local\""
                        + "[^}]*destination_service_name=\"reviews\"[^}]*destination_service_namespace=\"default\""
                        + "[^}]*reporter=\"destination\"[^}]*source_app=\"productpage\"[^}]*source_cluster=\"east\""
                        + "[^}]*source_version=\"v1\"[^}]*source_workload=\"productpage-v1\""));
    }

    @Test
    void aLocalReplyOfTheServerSideStillTellsWhoAnswered() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), true, List.of());
        app.stop(); // the server's sidecar answers 503 itself

        TestMesh.Reply reply = mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r");

        assertThat(reply.status()).isEqualTo(503);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*destination_workload=\"reviews-v2\"[^}]*response_code=\"503\""));
    }

    @Test
    void aCallerClaimingAnotherNamespaceThanItsCertificateIsNotBelieved() {
        start(node("productpage-v1", "payments", "east", "productpage", "v1"), true, List.of());

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*reporter=\"destination\"[^}]*source_workload=\"unknown\"")
                .doesNotContain("source_workload=\"productpage-v1\""));
    }

    @Test
    void headersAnAppSetsCannotSpeakForItsProxy() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), true, List.of());
        String forged = PeerMetadata.of("sidecar~10.0.0.9~admin.default~default.svc.cluster.local",
                node("admin-console", "default", "east", "admin", "v9")).metadata();

        mesh.send(HttpMethod.GET, "127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r",
                Map.of(PeerMetadataExchange.METADATA_HEADER, forged), null);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*source_workload=\"productpage-v1\"")
                .doesNotContain("admin-console"));
    }

    @Test
    void withoutTheFilterNothingIsExchanged() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), false, List.of());

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*reporter=\"destination\"[^}]*source_workload=\"unknown\""));
        assertThat(client.telemetry().scrape()).containsPattern("destination_workload=\"unknown\"");
    }

    @Test
    void aMirroredCopyTellsWhoSentItToo() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), true, List.of());
        var r = Xds.prefixRoute("/", SERVICE.clusterName());
        client.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews", List.of(SERVICE.host(), Outbound.AUTHORITY),
                r.toBuilder().setRoute(r.getRoute().toBuilder().addRequestMirrorPolicies(
                        io.envoyproxy.envoy.config.route.v3.RouteAction.RequestMirrorPolicy.newBuilder()
                                .setCluster(SERVICE.clusterName()))).build()))), "2");

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).until(() -> app.hits.get() == 2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .as("the original and its shadow both name the caller")
                .containsPattern("istio_requests_total\\{[^}]*source_workload=\"productpage-v1\"[^}]*\\} 2\\.0")
                .doesNotContain("source_workload=\"unknown\""));
    }

    @Test
    void ofSeveralServicesOnAPortTheOneTheAuthorityNamesIsReported() {
        start(node("productpage-v1", "default", "east", "productpage", "v1"), true,
                List.of("ratings.default.svc.cluster.local", "reviews.default.svc.cluster.local"));

        assertThat(mesh.get("127.0.0.2", outboundPort, Outbound.AUTHORITY, "/r").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(server.telemetry().scrape())
                .containsPattern("istio_requests_total\\{[^}]*destination_service=\"reviews.default.svc.cluster.local\"")
                .doesNotContain("destination_service=\"ratings.default.svc.cluster.local\""));
    }

    /** A client sidecar (its node {@code clientNode}) calling reviews-v2 in west through the server's inbound listener. */
    private void start(Struct clientNode, boolean exchange, List<String> inboundServices) {
        app = mesh.app("reviews");
        int inboundPort = TestMesh.freePort();
        TlsMaterialSource.Mutable serverCerts = mesh.workload("west", "default", "reviews");
        server = mesh.dataPlane(serverCerts, "sidecar~127.0.0.3~reviews-v2-0.default~default.svc.cluster.local",
                node("reviews-v2", "default", "west", "reviews", "v2"));
        String inboundCluster = "inbound|" + app.port + "||";
        Cluster ic = Xds.staticCluster(inboundCluster, "127.0.0.1", app.port);
        if (!inboundServices.isEmpty()) {
            ListValue.Builder list = ListValue.newBuilder();
            inboundServices.forEach(h -> list.addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
                    .putFields("host", Value.newBuilder().setStringValue(h).build()))));
            ic = ic.toBuilder().setMetadata(Metadata.newBuilder().putFilterMetadata("istio", Struct.newBuilder()
                    .putFields("services", Value.newBuilder().setListValue(list).build()).build())).build();
        }
        server.clusters().apply(Map.of(inboundCluster, ic), "1");
        server.listeners().apply(Map.of("inbound", Xds.inboundHttp("inbound", "127.0.0.3", inboundPort, inboundCluster,
                true, exchange ? List.of(Xds.peerMetadataFilter(PeerMetadataExchange.inboundConfig())) : List.of())), "1");

        TlsMaterialSource.Mutable clientCerts = mesh.workload("east", "default", "productpage");
        client = mesh.dataPlane(clientCerts, "sidecar~127.0.0.4~productpage-v1-0.default~default.svc.cluster.local", clientNode);
        client.clusters().apply(Map.of(SERVICE.clusterName(), Xds.edsCluster(SERVICE.clusterName(), SERVICE.sni(),
                List.of("spiffe://cluster.local/ns/default/sa/reviews"))), "1");
        client.endpoints().apply(Map.of(SERVICE.clusterName(), Xds.cla(SERVICE.clusterName(),
                Xds.group("z1", 0, Xds.inCluster(Xds.lbEndpoint("127.0.0.3", inboundPort, 1), "west")))), "1");
        outboundPort = TestMesh.freePort();
        client.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "9080",
                exchange ? List.of(Xds.peerMetadataFilter(PeerMetadataExchange.outboundConfig())) : List.of())), "1");
        client.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of(SERVICE.host(), Outbound.AUTHORITY), Xds.prefixRoute("/", SERVICE.clusterName())))), "1");
    }

    /** Istio-style node metadata. */
    static Struct node(String workload, String namespace, String cluster, String app, String version) {
        return Struct.newBuilder()
                .putFields("WORKLOAD_NAME", str(workload))
                .putFields("NAMESPACE", str(namespace))
                .putFields("CLUSTER_ID", str(cluster))
                .putFields("LABELS", Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("app", str(app)).putFields("version", str(version))).build())
                .build();
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
