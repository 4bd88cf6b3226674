package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Service VIPs in the outbound virtual hosts, as Istio's {@code generateVirtualHostDomains}: the
 * proxy's own cluster's ClusterIPs (and {@code :P}), none for a headless Service, the default address
 * (first cluster's primary ClusterIP) when the proxy's cluster has no Service of that name, only the
 * families the proxy has.
 */
class ServiceVipsTest {
    private static final String ROOT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    private static final String DETAILS = MeshLabels.serviceHostname("details", "default");
    private static final String RATINGS = MeshLabels.serviceHostname("ratings", "default");

    private final InMemoryRegistry registry = new InMemoryRegistry();
    private final MeshTranslator translator = new MeshTranslator(registry, "cluster.local", () -> ROOT);

    ServiceVipsTest() {
        registry.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.1.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.96.1.10")));
        registry.putService(new ClusterService("west", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.2.1.1", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.96.2.10")));
        // details only in west
        registry.putService(new ClusterService("west", "default", "details", DETAILS, List.of(HTTP_9080), Map.of(),
                List.of(), List.of("10.96.2.11", "fd00:96::11")));
        // ratings headless in east
        registry.putService(new ClusterService("east", "default", "ratings", RATINGS, List.of(HTTP_9080), Map.of(),
                List.of(), List.of()));
        registry.putService(new ClusterService("west", "default", "ratings", RATINGS, List.of(HTTP_9080), Map.of(),
                List.of(), List.of("10.96.2.12")));
    }

    private List<String> domains(Node node, String host) {
        RouteConfiguration rc = translator.resourcesFor(ProxyView.fromNode(node)).routes().get("9080");
        return rc.getVirtualHostsList().stream().filter(vh -> vh.getName().equals(host + ":9080")).findFirst()
                .map(VirtualHost::getDomainsList).orElseThrow();
    }

    private static Node east(String ips) {
        Node n = node("sidecar", "10.1.9.9", "client-0", "east", "net-east", EAST_A, null, null);
        return n.toBuilder().setMetadata(n.getMetadata().toBuilder().putFields(ProxyMetadata.INSTANCE_IPS,
                com.google.protobuf.Value.newBuilder().setStringValue(ips).build())).build();
    }

    @Test
    void theProxysOwnClustersVipAndVipPortAreDomainsOfTheService() {
        assertThat(domains(east("10.1.9.9"), REVIEWS)).contains(REVIEWS, "reviews:9080", "10.96.1.10", "10.96.1.10:9080")
                .doesNotContain("10.96.2.10", "10.96.2.10:9080");
        Node west = node("sidecar", "10.2.9.9", "client-0", "west", "net-west", WEST_A, null, null);
        assertThat(domains(west, REVIEWS)).contains("10.96.2.10", "10.96.2.10:9080").doesNotContain("10.96.1.10");
    }

    @Test
    void aHeadlessServiceInTheProxysClusterHasNoVip() {
        assertThat(domains(east("10.1.9.9"), RATINGS)).containsExactly(RATINGS, RATINGS + ":9080",
                "ratings.default.svc", "ratings.default.svc:9080", "ratings.default", "ratings.default:9080",
                "ratings", "ratings:9080");
    }

    @Test
    void withoutAServiceInTheProxysClusterTheDefaultAddressOfTheFirstClusterIsUsedAsIstioDoes() {
        assertThat(domains(east("10.1.9.9"), DETAILS)).contains("10.96.2.11", "10.96.2.11:9080")
                .doesNotContain("[fd00:96::11]");
    }

    @Test
    void aDualStackProxyGetsBothFamiliesOfItsOwnClusterAndAnIpv4OnlyProxyOnlyIpv4() {
        registry.putService(new ClusterService("east", "default", "details", DETAILS, List.of(HTTP_9080), Map.of(),
                List.of(), List.of("10.96.1.11", "fd00:96::1:11")));
        translator.invalidate();
        assertThat(domains(east("10.1.9.9,fd00:1::9"), DETAILS))
                .contains("10.96.1.11", "10.96.1.11:9080", "[fd00:96::1:11]", "[fd00:96::1:11]:9080");
        assertThat(domains(east("10.1.9.9"), DETAILS)).contains("10.96.1.11").doesNotContain("[fd00:96::1:11]");
    }

    @Test
    void aVipTwoServicesShareStaysWithTheFirst() {
        registry.putService(new ClusterService("east", "default", "details", DETAILS, List.of(HTTP_9080), Map.of(),
                List.of(), List.of("10.96.1.10")));
        translator.invalidate();
        assertThat(domains(east("10.1.9.9"), DETAILS)).contains("10.96.1.10", "10.96.1.10:9080");
        assertThat(domains(east("10.1.9.9"), REVIEWS)).contains(REVIEWS).doesNotContain("10.96.1.10");
    }

    @Test
    void vipsOfACapturedProxyAreInItsRouteConfigurationsToo() {
        Node n = east("10.1.9.9");
        n = n.toBuilder().setMetadata(n.getMetadata().toBuilder().putFields(ProxyMetadata.INTERCEPTION_MODE,
                com.google.protobuf.Value.newBuilder().setStringValue("TPROXY").build())).build();
        assertThat(domains(n, REVIEWS)).contains("10.96.1.10", "10.96.1.10:9080");
    }
}
