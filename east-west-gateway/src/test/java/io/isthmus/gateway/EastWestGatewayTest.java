package io.isthmus.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.testing.TestPki;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole gateway against a real xDS server (java-control-plane): a router node of west's network
 * gets CDS and EDS, becomes ready, and passes an east client's mTLS connection to a west server,
 * which sees the client's SPIFFE ID; endpoint and cluster removals take effect; metrics and admin
 * show it.
 */
class EastWestGatewayTest {

    private static final OutboundName REVIEWS = OutboundName.of("reviews.default.svc.cluster.local", 9080);
    private static final String CLIENT_ID = "spiffe://cluster.local/ns/default/sa/productpage";

    @TempDir
    Path dir;
    private final SimpleCache<String> cache = new SimpleCache<>(node -> "all");
    private final HttpClient http = HttpClient.newHttpClient();
    private Server controlPlane;
    private EastWestGateway gateway;
    private SpiffeEchoServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (server != null) {
            server.close();
        }
        if (controlPlane != null) {
            controlPlane.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static Snapshot snapshot(String version, List<Cluster> clusters, List<ClusterLoadAssignment> endpoints) {
        return Snapshot.create(clusters, endpoints, List.of(), List.of(), List.of(), version);
    }

    private static Cluster eds(String name) {
        return Cluster.newBuilder().setName(name).setType(Cluster.DiscoveryType.EDS)
                .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder()
                        .setEdsConfig(ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance())))
                .build();
    }

    private static ClusterLoadAssignment endpoints(String cluster, HealthStatus health, InetSocketAddress... addresses) {
        LocalityLbEndpoints.Builder group = LocalityLbEndpoints.newBuilder()
                .setLocality(io.envoyproxy.envoy.config.core.v3.Locality.newBuilder().setRegion("west").setZone("west-a"));
        for (InetSocketAddress a : addresses) {
            group.addLbEndpoints(LbEndpoint.newBuilder().setHealthStatus(health).setEndpoint(Endpoint.newBuilder()
                    .setAddress(Address.newBuilder().setSocketAddress(SocketAddress.newBuilder()
                            .setAddress(a.getAddress().getHostAddress()).setPortValue(a.getPort())))));
        }
        return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(group).build();
    }

    private String bootstrap(int xdsPort) {
        return """
                node:
                  id: router~10.255.0.2~eastwestgateway-0.isthmus-system~isthmus-system.svc.cluster.local
                  cluster: eastwestgateway
                  locality: {region: west, zone: west-a}
                  metadata: {CLUSTER_ID: west, NETWORK: net-west, NAMESPACE: isthmus-system, SERVICE_ACCOUNT: isthmus-eastwestgateway, REQUESTED_NETWORK_VIEW: net-west}
                dynamic_resources:
                  ads_config: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]}
                static_resources:
                  clusters:
                  - name: xds-grpc
                    type: STATIC
                    load_assignment:
                      cluster_name: xds-grpc
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: %d}}}}]}]
                """.formatted(xdsPort);
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    @Test
    void passesMeshTrafficByTheControllersEndpointsAndFollowsUpdates() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        pki.writeWorkloadDir("west", "isthmus-system", "isthmus-eastwestgateway", dir.resolve("gw"));
        CertifiedKey reviews = pki.workload("west", "default", "reviews");
        CertifiedKey productpage = pki.workload("east", "default", "productpage");
        server = new SpiffeEchoServer(io.isthmus.gateway.TestPki.material(reviews.privateKey(), reviews.chain(), pki.rootCertificate()),
                "127.0.0.3", "reviews-west");
        SSLContext client = io.isthmus.gateway.TestPki.material(productpage.privateKey(), productpage.chain(), pki.rootCertificate()).sslContext();

        cache.setSnapshot("all", snapshot("1", List.of(eds(REVIEWS.clusterName())),
                List.of(endpoints(REVIEWS.clusterName(), HealthStatus.HEALTHY, server.address()))));
        controlPlane = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new V3DiscoveryServer(cache).getAggregatedDiscoveryServiceImpl()).build().start();
        Path bootstrap = dir.resolve("bootstrap.yaml");
        Files.writeString(bootstrap, bootstrap(controlPlane.getPort()));

        SidecarConfig proxy = SidecarConfig.builder(bootstrap).mode(SidecarConfig.Mode.ROUTER).certDir(dir.resolve("gw"))
                .adminPort(0).healthPort(0).metricsPort(0).healthAddress("127.0.0.1").drainTime(Duration.ZERO).build();
        gateway = EastWestGateway.start(GatewayConfig.of(proxy, PassthroughOptions.builder().bindAddress("127.0.0.1").port(0).build()));
        gateway.whenReady().get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> get(gateway.healthPort(), "/healthz/ready").startsWith("200"));

        try (SSLSocket s = MeshTlsClient.connect(client, gateway.passthroughAddress(), REVIEWS.sni())) {
            assertThat(MeshTlsClient.exchange(s, "hello")).isEqualTo("reviews-west " + CLIENT_ID + " hello");
        }
        assertThat(get(gateway.adminPort(), "/clusters")).contains(REVIEWS.clusterName()).contains("::transport::passthrough");
        String metrics = get(gateway.metricsPort(), "/stats/prometheus");
        assertThat(metrics).contains("istio_tcp_connections_opened_total{").contains("destination_service=\"" + REVIEWS.host() + "\"")
                .contains("source_cluster=\"west\"").contains("isthmus_gateway_refused_connections_total{reason=\"no_sni\"}");

        // the endpoint goes unhealthy: the service is known but has nothing to pass to
        cache.setSnapshot("all", snapshot("2", List.of(eds(REVIEWS.clusterName())),
                List.of(endpoints(REVIEWS.clusterName(), HealthStatus.UNHEALTHY, server.address()))));
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.engine().table().endpoints(REVIEWS.clusterName()).orElseThrow().isEmpty());
        assertThatThrownBy(() -> MeshTlsClient.connect(client, gateway.passthroughAddress(), REVIEWS.sni())).isInstanceOf(Exception.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.engine().metrics().refusedCount(RefusalReason.NO_HEALTHY_ENDPOINT) == 1);

        // the service leaves this network: unknown
        cache.setSnapshot("all", snapshot("3", List.of(), List.of()));
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.engine().table().endpoints(REVIEWS.clusterName()).isEmpty());
        assertThatThrownBy(() -> MeshTlsClient.connect(client, gateway.passthroughAddress(), REVIEWS.sni())).isInstanceOf(Exception.class);
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.engine().metrics().refusedCount(RefusalReason.UNKNOWN_SERVICE) == 1);
    }
}
