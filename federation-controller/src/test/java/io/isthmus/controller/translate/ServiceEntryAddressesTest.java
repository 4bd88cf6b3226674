package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.XdsNames;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * ServiceEntry {@code addresses} as the service's VIPs, as Istio: each IP (and each one-address
 * CIDR, as its IP) is a domain {@code <addr>} and {@code <addr>:P} of the host's virtual host for a
 * proxy of any cluster, of the proxy's address families; wider CIDRs are no domains; a bad address is
 * refused naming the field.
 */
class ServiceEntryAddressesTest {
    private static final String API = "api.internal.example";
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.0.10", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")),
                List.of("10.96.1.10")));
        translator = translator(r, config);
    }

    private ConfigException apply(String addresses) {
        return Fixtures.apply(config, translator, """
                apiVersion: networking.istio.io/v1
                kind: ServiceEntry
                metadata: {name: api, namespace: default}
                spec:
                  hosts: [%s]
                  addresses: %s
                  location: MESH_INTERNAL
                  resolution: STATIC
                  ports: [{number: 8080, name: http, protocol: HTTP}]
                  endpoints: [{address: 10.1.0.50}]
                """.formatted(API, addresses));
    }

    private List<String> domains(Node node) {
        return translator.resourcesFor(ProxyView.fromNode(node)).routes().get(XdsNames.outboundRoute(8080))
                .getVirtualHostsList().stream().filter(vh -> vh.getDomainsList().contains(API)).findFirst()
                .map(VirtualHost::getDomainsList).orElseThrow();
    }

    private static Node proxy(String cluster, String ips) {
        Node n = node("sidecar", ips.split(",")[0], "client-0", cluster, "net-" + cluster, EAST_A, null, null);
        return n.toBuilder().setMetadata(n.getMetadata().toBuilder().putFields(ProxyMetadata.INSTANCE_IPS, str(ips)))
                .build();
    }

    @Test
    void everyAddressIsADomainOfTheHostForAProxyOfAnyCluster() {
        assertThat(apply("[240.0.0.10, 240.0.0.11]")).isNull();
        for (String cluster : List.of("east", "west")) {
            assertThat(domains(proxy(cluster, "10.1.0.5"))).containsExactly(API, API + ":8080",
                    "240.0.0.10", "240.0.0.10:8080", "240.0.0.11", "240.0.0.11:8080");
        }
    }

    @Test
    void aOneAddressCidrIsItsIpAndAWiderCidrIsNoDomainAsIstio() {
        assertThat(apply("[240.0.0.12/32, 240.1.0.0/16, \"fd00:240::12/128\", \"fd00:241::/64\"]")).isNull();
        assertThat(domains(proxy("east", "10.1.0.5,fd00:1::5"))).containsExactly(API, API + ":8080",
                "240.0.0.12", "240.0.0.12:8080", "[fd00:240::12]", "[fd00:240::12]:8080");
    }

    @Test
    void onlyTheProxysAddressFamiliesAreDomains() {
        assertThat(apply("[240.0.0.10, \"fd00:240::10\"]")).isNull();
        assertThat(domains(proxy("east", "10.1.0.5"))).contains("240.0.0.10").doesNotContain("[fd00:240::10]");
        assertThat(domains(proxy("east", "fd00:1::5"))).contains("[fd00:240::10]").doesNotContain("240.0.0.10");
    }

    @Test
    void aServiceEntryWithoutAddressesHasOnlyItsNames() {
        assertThat(apply("[]")).isNull();
        assertThat(domains(proxy("east", "10.1.0.5"))).containsExactly(API, API + ":8080");
    }

    @Test
    void aBadAddressIsRefusedNamingTheFieldAndTheRestOfTheMeshStays() {
        for (String bad : List.of("240.0.0.300", "240.0.0.0/33", "\"fd00::/129\"", "api.example.com", "240.0.0.0/x",
                "\"1:2:3\"")) {
            ConfigException e = apply("[240.0.0.10, " + bad + "]");
            assertThat(e).as(bad).isNotNull();
            assertThat(e.getMessage()).as(bad).contains("addresses[1]", "not an IP address or CIDR");
        }
        assertThat(translator.resourcesFor(ProxyView.fromNode(proxy("east", "10.1.0.5"))).routes()
                .get(XdsNames.outboundRoute(9080)).getVirtualHostsList()).isNotEmpty();
    }
}
