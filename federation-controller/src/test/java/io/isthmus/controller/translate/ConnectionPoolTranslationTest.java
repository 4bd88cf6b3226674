package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DestinationRule's {@code connectionPool.http.maxRequestsPerConnection} and {@code idleTimeout}
 * become the cluster's {@code HttpProtocolOptions.common_http_protocol_options}, next to the upstream
 * protocol the port needs (HTTP/2 for gRPC, HTTP/1.1 otherwise), as Istio sends them.
 */
class ConnectionPoolTranslationTest {
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS,
                List.of(HTTP_9080, new ServicePort("grpc", 9090, 9090, Protocol.GRPC)), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private ConfigException apply(String yaml) {
        return Fixtures.apply(config, translator, yaml);
    }

    private ConfigException applyMesh(String meshLine) {
        return Fixtures.applyMesh(config, translator, meshLine);
    }

    /** Applies reviews' DestinationRule with {@code trafficPolicy.connectionPool} holding {@code pool} (one line). */
    private ConfigException applyPool(String pool) {
        return apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    connectionPool:
                      %s
                """.formatted(pool));
    }

    private HttpProtocolOptions options(String cluster) throws Exception {
        Cluster c = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters().get(cluster);
        assertThat(c).as(cluster).isNotNull();
        var any = c.getTypedExtensionProtocolOptionsMap().get(ClusterTranslator.HTTP_PROTOCOL_OPTIONS);
        assertThat(any).as("HttpProtocolOptions of " + cluster).isNotNull();
        return any.unpack(HttpProtocolOptions.class);
    }

    @Test
    void maxRequestsPerConnectionAndIdleTimeoutBecomeCommonHttpProtocolOptions() throws Exception {
        assertThat(applyPool("http: {maxRequestsPerConnection: 2, idleTimeout: 30s, http1MaxPendingRequests: 10}")).isNull();

        var common = io.envoyproxy.envoy.config.core.v3.HttpProtocolOptions.newBuilder()
                .setMaxRequestsPerConnection(UInt32Value.of(2))
                .setIdleTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build();
        assertThat(options("outbound|9080||" + REVIEWS)).isEqualTo(HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(common)
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()))
                .build());
        assertThat(options("outbound|9090||" + REVIEWS)).as("the gRPC port keeps HTTP/2").isEqualTo(HttpProtocolOptions.newBuilder()
                .setCommonHttpProtocolOptions(common)
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                .build());
    }

    @Test
    void withoutThemAnHttpClusterHasNoProtocolOptions() throws Exception {
        Cluster c = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters()
                .get("outbound|9080||" + REVIEWS);
        assertThat(c.getTypedExtensionProtocolOptionsMap()).isEmpty();
        assertThat(options("outbound|9090||" + REVIEWS).hasCommonHttpProtocolOptions()).isFalse();
    }

    @Test
    void h2UpgradePolicyUpgradeSpeaksHttp2ToTheUpstreamOfAnHttpPortAndASubsetMayOptOut() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews.default.svc.cluster.local
                  trafficPolicy:
                    connectionPool:
                      http: {h2UpgradePolicy: UPGRADE}
                  subsets:
                  - name: v1
                    labels: {version: v1}
                    trafficPolicy:
                      connectionPool:
                        http: {h2UpgradePolicy: DO_NOT_UPGRADE}
                """)).isNull();

        HttpProtocolOptions h2 = HttpProtocolOptions.newBuilder()
                .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                        .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
                .build();
        assertThat(options("outbound|9080||" + REVIEWS)).isEqualTo(h2);
        assertThat(options("outbound|9090||" + REVIEWS)).as("gRPC is HTTP/2 either way").isEqualTo(h2);
        Cluster v1 = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters()
                .get("outbound|9080|v1|" + REVIEWS);
        assertThat(v1.getTypedExtensionProtocolOptionsMap()).as("the subset's DO_NOT_UPGRADE wins").isEmpty();
    }

    @Test
    void h2UpgradePolicyDefaultLeavesHttpPortsOnHttp11AndAnUnknownValueIsRefused() throws Exception {
        assertThat(applyPool("http: {h2UpgradePolicy: DEFAULT}")).isNull();
        Cluster c = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters()
                .get("outbound|9080||" + REVIEWS);
        assertThat(c.getTypedExtensionProtocolOptionsMap()).isEmpty();

        ConfigException e = applyPool("http: {h2UpgradePolicy: ALWAYS}");
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("h2UpgradePolicy", "UPGRADE", "ALWAYS");
    }

    @Test
    void aMeshWideUpgradeAppliesWhereNoDestinationRuleSaysOtherwise() throws Exception {
        assertThat(applyMesh("h2UpgradePolicy: UPGRADE")).isNull();
        assertThat(options("outbound|9080||" + REVIEWS).getExplicitHttpConfig().hasHttp2ProtocolOptions())
                .as("the mesh-wide UPGRADE, no DestinationRule").isTrue();

        assertThat(applyPool("http: {h2UpgradePolicy: DO_NOT_UPGRADE}")).isNull();
        Cluster c = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters()
                .get("outbound|9080||" + REVIEWS);
        assertThat(c.getTypedExtensionProtocolOptionsMap()).as("the DestinationRule's DO_NOT_UPGRADE wins").isEmpty();

        ConfigException e = applyMesh("h2UpgradePolicy: DEFAULT");
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("data.mesh.h2UpgradePolicy", "DO_NOT_UPGRADE or UPGRADE");
    }

    @Test
    void aMeshWideConnectTimeoutAppliesWhereNoDestinationRuleSetsOne() {
        java.util.function.Function<String, Long> millis = cluster -> {
            com.google.protobuf.Duration d = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).clusters()
                    .get(cluster).getConnectTimeout();
            return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
        };
        assertThat(millis.apply("outbound|9080||" + REVIEWS)).as("the mesh's default").isEqualTo(1000);
        assertThat(applyMesh("connectTimeout: 250ms")).isNull();
        assertThat(millis.apply("outbound|9080||" + REVIEWS)).isEqualTo(250);
        assertThat(millis.apply("outbound|9090||" + REVIEWS)).as("every port").isEqualTo(250);
        assertThat(applyPool("tcp: {connectTimeout: 3s}")).isNull();
        assertThat(millis.apply("outbound|9080||" + REVIEWS)).as("the DestinationRule's own wins").isEqualTo(3000);

        ConfigException e = applyMesh("connectTimeout: 0s");
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("data.mesh.connectTimeout", "at least 1ms");
    }

    @Test
    void aBadIdleTimeoutIsRefusedNamingTheField() {
        ConfigException e = applyPool("http: {idleTimeout: soon}");
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("idleTimeout");
    }
}
