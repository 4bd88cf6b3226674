package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
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
 * A VirtualService's {@code tcp} routes on sidecars: the TCP proxy of the host's port goes to the first matching
 * route's destinations (weighted clusters for several, weight-0 ones left out), on the port-wide listener and on
 * each VIP listener in capture mode; other ports and hosts keep their own cluster.
 */
class TcpRoutesTest {
    private static final String ORDERS = "orders-db.default.svc.cluster.local";
    private static final String USERS = "users-db.default.svc.cluster.local";
    private static final ServicePort TCP_7070 = new ServicePort("tcp", 7070, 7070, Protocol.TCP);
    private static final ServicePort TCP_7071 = new ServicePort("tcp-admin", 7071, 7071, Protocol.TCP);
    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private MeshTranslator translator;

    @BeforeEach
    void setUp() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "orders-db", ORDERS, List.of(TCP_7070, TCP_7071), Map.of(), List.of(
                endpoint("10.1.0.30", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"),
                endpoint("10.1.0.31", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v2"))));
        r.putService(new ClusterService("east", "default", "users-db", USERS, List.of(TCP_7070), Map.of(), List.of(
                endpoint("10.1.0.40", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1"))));
        translator = translator(r, config);
    }

    private ConfigException apply(String yaml) {
        return Fixtures.apply(config, translator, yaml);
    }

    private TcpProxy tcpOf(Listener l) throws Exception {
        return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class);
    }

    private TcpProxy portListener(int port) throws Exception {
        Listener l = translator.resourcesFor(sidecar("10.1.0.5", "east", "net-east", EAST_A)).listeners().values().stream()
                .filter(x -> x.getAddress().getSocketAddress().getPortValue() == port).findFirst().orElseThrow();
        return tcpOf(l);
    }

    @Test
    void aWeightedTcpRouteSplitsThePortAndLeavesOutZeroWeights() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  tcp:
                  - match: [{port: 7070}]
                    route:
                    - {destination: {host: orders-db, subset: v1}, weight: 80}
                    - {destination: {host: users-db}, weight: 20}
                    - {destination: {host: orders-db, subset: v2}, weight: 0}
                """)).isNull();
        TcpProxy tcp = portListener(7070);
        assertThat(tcp.getStatPrefix()).isEqualTo("outbound|7070||" + ORDERS);
        assertThat(tcp.getWeightedClusters().getClustersList()).extracting(c -> c.getName() + "=" + c.getWeight())
                .containsExactly("outbound|7070|v1|" + ORDERS + "=80", "outbound|7070||" + USERS + "=20");
        assertThat(portListener(7071).getCluster()).as("the other port matches no route").isEqualTo("outbound|7071||" + ORDERS);
    }

    @Test
    void oneDestinationIsAPlainClusterAndWithoutARouteTheServicesOwn() throws Exception {
        assertThat(portListener(7070).getCluster()).isEqualTo("outbound|7070||" + ORDERS);
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  tcp:
                  - route: [{destination: {host: orders-db, subset: v2}}]
                """)).isNull();
        assertThat(portListener(7070).getCluster()).isEqualTo("outbound|7070|v2|" + ORDERS);
        assertThat(portListener(7071).getCluster()).as("a route without match takes every port").isEqualTo("outbound|7071|v2|" + ORDERS);
    }

    @Test
    void aRouteForGatewaysOnlyLeavesTheSidecarsAlone() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  gateways: [edge]
                  tcp:
                  - route: [{destination: {host: users-db}}]
                """)).isNull();
        assertThat(portListener(7070).getCluster()).isEqualTo("outbound|7070||" + ORDERS);
    }

    @Test
    void mistakesAreNamed() {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  tcp:
                  - match: [{sourceLabels: {app: x}}]
                    route: [{destination: {host: users-db}}]
                """)).hasMessageContaining("spec.tcp[0].match[0].sourceLabels").hasMessageContaining("field not supported");
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  tcp:
                  - route:
                    - {destination: {host: users-db}, weight: 60}
                    - {destination: {host: orders-db}, weight: 60}
                """)).hasMessageContaining("spec.tcp[0].route").hasMessageContaining("weights must add up to 100, got 120");
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: orders, namespace: default}
                spec:
                  hosts: [orders-db]
                  tcp:
                  - route: [{destination: {host: users-db}, headers: {request: {set: {a: b}}}}]
                """)).hasMessageContaining("spec.tcp[0].route").hasMessageContaining("a TCP route's destination has no headers");
    }

    @Test
    void aSourceIpHashOfTheDestinationIsTheTcpProxysHashPolicy() throws Exception {
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: orders, namespace: default}
                spec:
                  host: orders-db
                  trafficPolicy:
                    loadBalancer: {consistentHash: {useSourceIp: true}}
                """)).isNull();
        assertThat(portListener(7070).getHashPolicy(0).hasSourceIp()).isTrue();
        assertThat(apply("""
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: orders, namespace: default}
                spec:
                  host: orders-db
                  trafficPolicy:
                    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
                """)).isNull();
        assertThat(portListener(7070).getHashPolicyList()).as("a header means nothing to a TCP connection").isEmpty();
    }
}
