package io.isthmus.sidecar.dns;

import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.Sidecar;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.cert.TestCa;
import io.isthmus.sidecar.xds.TestSnapshots;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A proxy with a DNS proxy and {@code --dns-upstream}, whose bootstrap names the controller as the
 * kind demo's does ({@code isthmus-controller.isthmus-system.svc}, a STRICT_DNS {@code xds-grpc}
 * cluster): the CA call and the ADS stream resolve that name through the upstream (a real DNS server on
 * loopback), and so does a STRICT_DNS cluster naming a mesh hostname, which gets the upstream's address
 * (the DNS proxy would answer it with the outbound address: {@link DnsOwnLookupsTest}).
 */
class DnsSidecarLookupsTest {
    static final String CONTROLLER = "isthmus-controller.isthmus-system.svc";
    static final String REVIEWS = "reviews.default.svc.cluster.local";

    @TempDir
    Path dir;
    TestCa ca;
    TinyDnsServer cluster;
    Sidecar sidecar;

    @AfterEach
    void tearDown() throws Exception {
        if (sidecar != null) {
            sidecar.close();
        }
        if (ca != null) {
            ca.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theControllersNameAndDnsClustersResolveThroughTheUpstream() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        SimpleCache<String> cache = new SimpleCache<>(node -> "all");
        cache.setSnapshot("all", TestSnapshots.service("1", REVIEWS, 9080, "10.1.0.7"));
        ca = new TestCa(pki, "east", Duration.ofHours(24),
                new V3DiscoveryServer(cache).getAggregatedDiscoveryServiceImpl().bindService());
        ca.tokens.put("secret-token", SpiffeId.of(TestPki.TRUST_DOMAIN, "default", "reviews"));
        cluster = new TinyDnsServer().answer(CONTROLLER, "127.0.0.1").answer(REVIEWS, "127.0.0.60");

        Path bootstrap = Files.writeString(dir.resolve("bootstrap.yaml"), """
                node:
                  id: sidecar~10.1.0.5~reviews-v1-0.default~default.svc.cluster.local
                  cluster: reviews
                  locality: {region: r, zone: z}
                  metadata: {CLUSTER_ID: east, NETWORK: net-east, NAMESPACE: default, SERVICE_ACCOUNT: reviews}
                dynamic_resources:
                  ads_config: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]}
                static_resources:
                  clusters:
                  - name: xds-grpc
                    type: STRICT_DNS
                    dns_lookup_family: V4_ONLY
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: xds-grpc
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: %s, port_value: %d}}}}]}]
                    transport_socket:
                      name: envoy.transport_sockets.tls
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                        sni: %s
                  - name: mesh-by-name
                    type: STRICT_DNS
                    dns_lookup_family: V4_ONLY
                    connect_timeout: 1s
                    load_assignment:
                      cluster_name: mesh-by-name
                      endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: %s, port_value: 9080}}}}]}]
                """.formatted(CONTROLLER, ca.port(), CONTROLLER, REVIEWS));
        Path token = Files.writeString(dir.resolve("token"), "secret-token\n");
        SidecarConfig config = SidecarConfig.builder(bootstrap).rootCert(dir.resolve("pki/root/root-cert.pem")).tokenFile(token)
                .adminPort(0).healthPort(0).metricsPort(0).adminAddress("127.0.0.1").healthAddress("127.0.0.1")
                .dnsAddress(new InetSocketAddress("127.0.0.1", 0)).dnsUpstream(cluster.address())
                .drainTime(Duration.ZERO).build();

        sidecar = Sidecar.start(config);
        await().atMost(Duration.ofSeconds(30)).until(() -> sidecar.certificates().certificate().isPresent());
        assertThat(ca.signed.get()).as("the CA was reached by name").isPositive();
        await().atMost(Duration.ofSeconds(30)).until(sidecar::controlPlaneConnected);
        DataPlane dp = (DataPlane) sidecar.engine();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(dp.cluster("mesh-by-name")).hasValueSatisfying(c ->
                assertThat(c.endpoints()).extracting(e -> e.address().toString()).containsExactly("127.0.0.60:9080")));
        assertThat(cluster.askedNames()).contains(CONTROLLER, REVIEWS);
    }
}
