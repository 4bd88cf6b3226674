package io.isthmus.sidecar.bootstrap;

import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.isthmus.mesh.Locality;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BootstrapLoaderTest {

    static final String YAML = """
            node:
              id: sidecar~10.1.0.5~reviews-v1-0.default~default.svc.cluster.local
              cluster: reviews
              locality: {region: us-east, zone: us-east-1a, sub_zone: rack1}
              metadata:
                CLUSTER_ID: east
                NETWORK: net-east
                NAMESPACE: default
                SERVICE_ACCOUNT: reviews
                WORKLOAD_NAME: reviews-v1-0
                INSTANCE_IPS: 10.1.0.5
                LABELS: {app: reviews, version: v1}
            admin:
              address: {socket_address: {address: 127.0.0.1, port_value: 15000}}
            dynamic_resources:
              ads_config:
                api_type: GRPC
                transport_api_version: V3
                grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]
              cds_config: {ads: {}, resource_api_version: V3}
              lds_config: {ads: {}, resource_api_version: V3}
            static_resources:
              clusters:
              - name: xds-grpc
                type: STATIC
                connect_timeout: 1s
                load_assignment:
                  cluster_name: xds-grpc
                  endpoints:
                  - lb_endpoints:
                    - endpoint: {address: {socket_address: {address: 10.1.0.1, port_value: 15012}}}
                transport_socket:
                  name: envoy.transport_sockets.tls
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                    sni: isthmus-controller.isthmus-system.svc
              - name: local-app
                type: STATIC
                connect_timeout: 0.5s
                load_assignment:
                  cluster_name: local-app
                  endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}}]}]
              listeners:
              - name: in
                address: {socket_address: {address: 0.0.0.0, port_value: 9080}}
                filter_chains:
                - filters:
                  - name: envoy.filters.network.http_connection_manager
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                      stat_prefix: in
                      route_config:
                        virtual_hosts: [{name: all, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: local-app}}]}]
                      http_filters:
                      - name: envoy.filters.http.router
                        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
            """;

    @Test
    void loadsEnvoyYamlWithNodeAdminControlPlaneAndStaticResources() throws Exception {
        BootstrapConfig b = BootstrapLoader.parse(YAML, "test.yaml");

        assertThat(b.node().id()).startsWith("sidecar~10.1.0.5~");
        assertThat(b.node().type()).isEqualTo("sidecar");
        assertThat(b.node().serviceCluster()).isEqualTo("reviews");
        assertThat(b.node().locality()).isEqualTo(new Locality("us-east", "us-east-1a", "rack1"));
        assertThat(b.node().clusterId()).isEqualTo("east");
        assertThat(b.node().network()).isEqualTo("net-east");
        assertThat(b.node().namespace()).isEqualTo("default");
        assertThat(b.node().serviceAccount()).isEqualTo("reviews");
        assertThat(b.node().instanceIps()).containsExactly("10.1.0.5");
        assertThat(b.node().labels()).containsEntry("app", "reviews").containsEntry("version", "v1");
        assertThat(b.admin()).contains(new HostPort("127.0.0.1", 15000));

        var cp = b.controlPlane().orElseThrow();
        assertThat(cp.clusterName()).isEqualTo("xds-grpc");
        assertThat(cp.address()).isEqualTo(new HostPort("10.1.0.1", 15012));
        assertThat(cp.tls()).isTrue();
        assertThat(cp.serverName()).isEqualTo("isthmus-controller.isthmus-system.svc");

        assertThat(b.staticClusters()).extracting(c -> c.getName()).containsExactly("local-app");
        assertThat(b.staticListeners()).hasSize(1);
        var hcm = b.staticListeners().get(0).getFilterChains(0).getFilters(0).getTypedConfig()
                .unpack(HttpConnectionManager.class);
        assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).getRoute().getCluster()).isEqualTo("local-app");
    }

    @Test
    void readsTheSameMessageAsTheGeneratedBuilderWould() throws Exception {
        io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.Builder generated =
                io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap.newBuilder();
        io.isthmus.sidecar.xds.XdsTypeRegistry.parser().merge(BootstrapLoader.toJson(YAML, "test.yaml"), generated);
        assertThat(BootstrapLoader.parse(YAML, "test.yaml").bootstrap()).isEqualTo(generated.build());
    }

    @Test
    void loadsJsonFromFile(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("bootstrap.json");
        Files.writeString(f, """
                {"node": {"id": "router~10.255.0.1~gw.isthmus-system~isthmus-system.svc.cluster.local",
                          "metadata": {"REQUESTED_NETWORK_VIEW": "net-east"}},
                 "dynamic_resources": {"ads_config": {"api_type": "GRPC",
                     "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]}},
                 "static_resources": {"clusters": [{"name": "xds-grpc", "type": "STATIC",
                     "load_assignment": {"cluster_name": "xds-grpc", "endpoints": [{"lb_endpoints": [
                        {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 15010}}}}]}]}}]}}
                """);
        BootstrapConfig b = BootstrapLoader.load(f);
        assertThat(b.node().type()).isEqualTo("router");
        assertThat(b.node().string("REQUESTED_NETWORK_VIEW")).isEqualTo("net-east");
        assertThat(b.controlPlane().orElseThrow().tls()).isFalse();
        assertThat(b.admin()).isEmpty();
        assertThat(b.staticClusters()).isEmpty();
    }

    @Test
    void unknownFieldIsNamed() {
        assertThatThrownBy(() -> BootstrapLoader.parse("node: {id: a, clustr: x}", "bad.yaml"))
                .isInstanceOf(BootstrapException.class)
                .hasMessageContaining("bad.yaml").hasMessageContaining("clustr");
    }

    @Test
    void missingNodeIdIsNamed() {
        assertThatThrownBy(() -> BootstrapLoader.parse("node: {cluster: x}", "b.yaml"))
                .hasMessageContaining("node.id");
    }

    @Test
    void adsClusterMustExist() {
        assertThatThrownBy(() -> BootstrapLoader.parse("""
                node: {id: a}
                dynamic_resources: {ads_config: {grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]}}
                """, "b.yaml"))
                .hasMessageContaining("dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name")
                .hasMessageContaining("xds-grpc");
    }

    @Test
    void badPortIsNamed() {
        assertThatThrownBy(() -> BootstrapLoader.parse("""
                node: {id: a}
                admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}
                """, "b.yaml")).hasMessageContaining("admin.address.socket_address.port_value");
    }

    @Test
    void garbageIsAClearError() {
        assertThatThrownBy(() -> BootstrapLoader.parse("::: [", "g.yaml"))
                .isInstanceOf(BootstrapException.class).hasMessageContaining("g.yaml");
        assertThatThrownBy(() -> BootstrapLoader.parse("- a\n- b", "g.yaml"))
                .isInstanceOf(BootstrapException.class).hasMessageContaining("mapping");
    }

    @Test
    void theLocalRunnersJsonBootstrapLoadsAndMeansTlsToTheController() {
        BootstrapConfig b = BootstrapLoader.parse("""
                {
                  "node": {"id": "sidecar~10.1.0.5~reviews-v1-0.default~default.svc.cluster.local", "cluster": "reviews",
                    "locality": {"region": "east-1", "sub_zone": "", "zone": "east-1a"},
                    "metadata": {"CLUSTER_ID": "east", "NETWORK": "net-east", "NAMESPACE": "default",
                      "SERVICE_ACCOUNT": "reviews", "WORKLOAD_NAME": "reviews-v1-0", "INSTANCE_IPS": "10.1.0.5",
                      "LABELS": {"app": "reviews", "version": "v1"}, "ISTHMUS_SERVICE_PORTS": "9080/http"}},
                  "static_resources": {
                    "clusters": [{
                      "name": "xds-grpc", "type": "STATIC", "connect_timeout": "1s",
                      "typed_extension_protocol_options": {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                          "explicit_http_config": {"http2_protocol_options": {}}
                        }
                      },
                      "load_assignment": {"cluster_name": "xds-grpc",
                        "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "10.1.0.1", "port_value": 15012}}}}]}]}
                    }]
                  },
                  "dynamic_resources": {
                    "ads_config": {"api_type": "GRPC", "transport_api_version": "V3", "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}]},
                    "cds_config": {"ads": {}, "resource_api_version": "V3"},
                    "lds_config": {"ads": {}, "resource_api_version": "V3"}
                  }
                }
                """, "runner.json");
        var cp = b.controlPlane().orElseThrow();
        assertThat(cp.address()).isEqualTo(new HostPort("10.1.0.1", 15012));
        assertThat(cp.tls()).as("15012 is the secure port even without a transport_socket").isTrue();
        assertThat(cp.serverName()).isEqualTo(BootstrapLoader.DEFAULT_CONTROLLER_NAME);
        assertThat(b.node().string("ISTHMUS_SERVICE_PORTS")).isEqualTo("9080/http");
        assertThat(b.staticClusters()).isEmpty();
    }
}
