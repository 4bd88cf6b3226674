package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.mesh.OutboundName;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A request from an app through its outbound sidecar, over mTLS, into the peer's inbound sidecar and app. */
class MtlsTest {

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
    void outboundToInboundCarriesThePeerIdentity() {
        AppServer reviews = mesh.app("reviews");
        int inboundPort = TestMesh.freePort();
        DataPlane server = mesh.dataPlane(mesh.workload("east", "default", "reviews"));
        String inboundCluster = "inbound|" + reviews.port + "||";
        server.clusters().apply(Map.of(inboundCluster, Xds.staticCluster(inboundCluster, "127.0.0.1", reviews.port)), "1");
        server.listeners().apply(Map.of("inbound", Xds.inboundHttp("inbound", "127.0.0.3", inboundPort, inboundCluster, true,
                List.of())), "1");

        DataPlane client = mesh.dataPlane(mesh.workload("east", "default", "productpage"));
        OutboundName svc = OutboundName.of("reviews.default.svc.cluster.local", 9080);
        client.clusters().apply(Map.of(svc.clusterName(), Xds.edsCluster(svc.clusterName(), svc.sni(),
                List.of("spiffe://cluster.local/ns/default/sa/reviews"))), "1");
        client.endpoints().apply(Map.of(svc.clusterName(), Xds.cla(svc.clusterName(),
                Xds.group("z1", 0, Xds.lbEndpoint("127.0.0.3", inboundPort, 1)))), "1");
        int outboundPort = TestMesh.freePort();
        client.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", outboundPort, "9080")), "1");
        client.routes().apply(Map.of("9080", Xds.routes("9080", Xds.vhost("reviews",
                List.of("reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews"),
                Xds.prefixRoute("/", svc.clusterName())))), "1");

        TestMesh.Reply r = mesh.get("127.0.0.2", outboundPort, "reviews.default.svc.cluster.local:9080", "/reviews/1");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("reviews");
        String xfcc = reviews.lastHeaders.get().get("x-forwarded-client-cert");
        assertThat(xfcc).startsWith("By=spiffe://cluster.local/ns/default/sa/reviews;")
                .endsWith(";URI=spiffe://cluster.local/ns/default/sa/productpage");
        assertThat(reviews.lastHeaders.get().get("x-request-id")).isNotBlank();
        assertThat(reviews.lastHeaders.get().get("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01");
    }

    @Test
    void aServerWithAnotherIdentityIsRefusedAtTheHandshake() {
        io.isthmus.sidecar.testing.MeshPair pair = new io.isthmus.sidecar.testing.MeshPair(mesh, true, List.of());
        pair.serverCerts.set(mesh.material(mesh.pki.workload("east", "default", "impostor")));
        pair.applyClientCluster(4);

        TestMesh.Reply r = pair.get(mesh, "/x");

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("x-isthmus-response-flags")).contains("UF");
        assertThat(pair.app.hits.get()).isZero();
    }
}
