package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.MeshPair;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.SanMatchers;
import io.vertx.core.http.HttpClientOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inbound modes: STRICT refuses clients without a mesh certificate; PERMISSIVE serves mTLS and plaintext on one port. */
class PermissiveTest {

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
    void strictRefusesPlaintextAndForeignCertificates() {
        MeshPair pair = new MeshPair(mesh, true, List.of());
        assertThat(pair.get(mesh, "/ok").status()).isEqualTo(200);

        assertThatThrownBy(() -> mesh.get("127.0.0.3", pair.inboundPort, "reviews", "/plain")).isInstanceOf(RuntimeException.class);
        var foreign = io.isthmus.sidecar.tls.TlsMaterialSource.mutable();
        foreign.set(mesh.material(mesh.pki.foreignWorkload("default", "productpage")));
        var client = mesh.vertx.createHttpClient(new MeshTls(foreign).applyUpstream(new HttpClientOptions(), SanMatchers.ANY));
        assertThatThrownBy(() -> TestMesh.await(client.request(io.vertx.core.http.HttpMethod.GET, pair.inboundPort,
                "127.0.0.3", "/x").compose(r -> r.send()))).isInstanceOf(RuntimeException.class);
        assertThat(pair.app.hits.get()).isEqualTo(1);
    }

    @Test
    void permissiveServesMtlsAndPlaintextOnOnePort() {
        AppServer app = mesh.app("reviews");
        int port = TestMesh.freePort();
        DataPlane server = mesh.dataPlane(mesh.workload("east", "default", "reviews"));
        String cluster = "inbound|" + app.port + "||";
        server.clusters().apply(Map.of(cluster, Xds.staticCluster(cluster, "127.0.0.1", app.port)), "1");
        Listener strict = Xds.inboundHttp("inbound", "127.0.0.3", port, cluster, true, List.of());
        Listener permissive = strict.toBuilder()
                .setFilterChains(0, strict.getFilterChains(0).toBuilder()
                        .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("tls")))
                .addFilterChains(strict.getFilterChains(0).toBuilder().clearTransportSocket()
                        .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("raw_buffer")))
                .build();
        server.listeners().apply(Map.of("inbound", permissive), "1");

        assertThat(mesh.get("127.0.0.3", port, "reviews", "/plain").status()).isEqualTo(200);
        assertThat(app.lastHeaders.get().get("x-forwarded-client-cert")).isNull();
        var certs = mesh.workload("east", "default", "productpage");
        var client = mesh.vertx.createHttpClient(new MeshTls(certs).applyUpstream(new HttpClientOptions(), SanMatchers.ANY));
        int status = TestMesh.await(client.request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.3", "/mtls")
                .compose(r -> r.send()).map(r -> r.statusCode()));
        assertThat(status).isEqualTo(200);
        assertThat(app.lastHeaders.get().get("x-forwarded-client-cert"))
                .endsWith("URI=spiffe://cluster.local/ns/default/sa/productpage");
    }

    @Test
    void thePlaintextChainMayComeFirst() {
        AppServer app = mesh.app("reviews");
        int port = TestMesh.freePort();
        DataPlane server = mesh.dataPlane(mesh.workload("east", "default", "reviews"));
        String cluster = "inbound|" + app.port + "||";
        server.clusters().apply(Map.of(cluster, Xds.staticCluster(cluster, "127.0.0.1", app.port)), "1");
        Listener strict = Xds.inboundHttp("inbound", "127.0.0.3", port, cluster, true, List.of());
        Listener plainFirst = strict.toBuilder().clearFilterChains()
                .addFilterChains(strict.getFilterChains(0).toBuilder().clearTransportSocket()
                        .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("raw_buffer")))
                .addFilterChains(strict.getFilterChains(0).toBuilder()
                        .setFilterChainMatch(FilterChainMatch.newBuilder().setTransportProtocol("tls")))
                .build();
        server.listeners().apply(Map.of("inbound", plainFirst), "1");
        assertThat(server.activeListeners()).singleElement().extracting(ListenerConfig::serving)
                .isEqualTo(ListenerConfig.Serving.PERMISSIVE);
        assertThat(mesh.get("127.0.0.3", port, "reviews", "/plain").status()).isEqualTo(200);
        var certs = mesh.workload("east", "default", "productpage");
        var client = mesh.vertx.createHttpClient(new MeshTls(certs).applyUpstream(new HttpClientOptions(), SanMatchers.ANY));
        int status = TestMesh.await(client.request(io.vertx.core.http.HttpMethod.GET, port, "127.0.0.3", "/mtls")
                .compose(r -> r.send()).map(r -> r.statusCode()));
        assertThat(status).isEqualTo(200);
    }
}
