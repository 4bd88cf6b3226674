package io.isthmus.controller.translate;

import static io.isthmus.controller.translate.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.core.v3.TrafficDirection;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.isthmus.controller.config.ConfigRegistry;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.InMemoryRegistry;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * TCP services in capture mode: a listener per VIP ({@code <vip>_<port>}, not bound), as in Istio, so two TCP
 * services on one port, or a TCP and an HTTP service on one port, each reach their own cluster; capture mode
 * NONE (one listener per port on 127.0.0.2) has none of them.
 */
class TcpVipListenersTest {

    private static final ServicePort PG = new ServicePort("tcp-postgres", 5432, 5432, Protocol.TCP);
    private static final ServicePort TCP_9080 = new ServicePort("tcp-legacy", 9080, 9080, Protocol.TCP);
    private static final String ORDERS_DB = MeshLabels.serviceHostname("orders-db", "default");
    private static final String USERS_DB = MeshLabels.serviceHostname("users-db", "default");
    private static final String LEGACY = MeshLabels.serviceHostname("legacy", "default");

    private final ConfigRegistry config = new ConfigRegistry("isthmus-system");
    private final MeshTranslator translator = translator();

    private MeshTranslator translator() {
        InMemoryRegistry r = new InMemoryRegistry();
        r.putService(new ClusterService("east", "default", "reviews", REVIEWS, List.of(HTTP_9080), Map.of(),
                List.of(endpoint("10.1.1.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.96.0.9")));
        r.putService(new ClusterService("east", "default", "orders-db", ORDERS_DB, List.of(PG), Map.of(),
                List.of(endpoint("10.1.2.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.96.0.10")));
        r.putService(new ClusterService("east", "default", "users-db", USERS_DB, List.of(PG), Map.of(),
                List.of(endpoint("10.1.3.1", "east", "net-east", EAST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.96.0.11")));
        // only in west: east's proxies reach it at west's ClusterIP, the address their DNS proxy answers
        r.putService(new ClusterService("west", "default", "legacy", LEGACY, List.of(TCP_9080), Map.of(),
                List.of(endpoint("10.2.4.1", "west", "net-west", WEST_A, EndpointHealth.HEALTHY, "v1")), List.of("10.97.0.12")));
        return Fixtures.translator(r, config);
    }

    private static Node pod(String mode) {
        Node n = node("sidecar", "10.1.1.1", "reviews-v1-0", "east", "net-east", EAST_A, null, null);
        return mode == null ? n : n.toBuilder().setMetadata(n.getMetadata().toBuilder()
                .putFields(ProxyMetadata.INTERCEPTION_MODE, Value.newBuilder().setStringValue(mode).build())).build();
    }

    @Test
    void tcpServicesSharingAPortEachGetAListenerAtTheirVip() {
        for (String mode : List.of("REDIRECT", "TPROXY")) {
            Map<String, Listener> listeners = translator.resourcesFor(ProxyView.fromNode(pod(mode))).listeners();

            assertThat(tcpClusterOf(listeners.get("10.96.0.10_5432"))).as(mode).isEqualTo("outbound|5432||" + ORDERS_DB);
            assertThat(tcpClusterOf(listeners.get("10.96.0.11_5432"))).as(mode).isEqualTo("outbound|5432||" + USERS_DB);
            Listener orders = listeners.get("10.96.0.10_5432");
            assertThat(orders.getAddress().getSocketAddress().getAddress()).isEqualTo("10.96.0.10");
            assertThat(orders.getAddress().getSocketAddress().getPortValue()).isEqualTo(5432);
            assertThat(orders.getBindToPort().getValue()).as("handed connections by the capture listener, never bound").isFalse();
            assertThat(orders.getTrafficDirection()).isEqualTo(TrafficDirection.OUTBOUND);
            assertThat(listeners.get("0.0.0.0_5432")).as("the port-wide listener stays, for names without a VIP").isNotNull();
            assertThat(listeners).containsKey("virtualOutbound");
        }
    }

    @Test
    void aTcpServiceOnAnHttpPortIsReachedAtItsVipWhileTheHttpRoutesKeepThePort() throws Exception {
        Map<String, Listener> listeners = translator.resourcesFor(ProxyView.fromNode(pod("REDIRECT"))).listeners();

        assertThat(tcpClusterOf(listeners.get("10.97.0.12_9080")))
                .as("a service only in west, at the ClusterIP east's DNS proxy answers for it")
                .isEqualTo("outbound|9080||" + LEGACY);
        Listener http = listeners.get("0.0.0.0_9080");
        assertThat(http.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class)
                .getRds().getRouteConfigName()).isEqualTo("9080");
        assertThat(listeners).doesNotContainKey("10.96.0.9_9080");
    }

    @Test
    void captureModeNoneSendsNoVipListeners() {
        Map<String, Listener> listeners = translator.resourcesFor(ProxyView.fromNode(pod(null))).listeners();

        assertThat(listeners.keySet()).noneMatch(name -> name.startsWith("10.9"));
        assertThat(listeners).containsKey("outbound_127.0.0.2_5432");
    }

    private static String tcpClusterOf(Listener l) {
        assertThat(l).isNotNull();
        try {
            return l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(TcpProxy.class).getCluster();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
