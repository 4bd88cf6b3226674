package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.filter.TcpChain;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.xds.XdsTypeRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code tcp_proxy} network filter of LDS listeners: one {@code cluster} or {@code weighted_clusters} (Istio's
 * translation of a VirtualService {@code tcp} route with weighted destinations), and each refusal named by field.
 */
class TcpProxyTranslatorTest {

    static final String V1 = "outbound|7070|v1|orders-db.default.svc.cluster.local";
    static final String V2 = "outbound|7070|v2|orders-db.default.svc.cluster.local";
    static final String PROXY = "filter_chains[0].filters[0].typed_config";

    static Listener listener(TcpProxy tp) {
        return Listener.newBuilder().setName("0.0.0.0_7070").setAddress(Xds.address("127.0.0.2", 7070))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.tcp_proxy").setTypedConfig(Any.pack(tp))))
                .build();
    }

    static TcpProxy weighted(ClusterWeight... clusters) {
        return TcpProxy.newBuilder().setStatPrefix(V1).setWeightedClusters(TcpProxy.WeightedCluster.newBuilder()
                .addAllClusters(List.of(clusters))).build();
    }

    static ClusterWeight cw(String name, int weight) {
        return ClusterWeight.newBuilder().setName(name).setWeight(weight).build();
    }

    static TcpChain chain(TcpProxy tp) throws InvalidResourceException {
        return ListenerTranslator.translate(listener(tp)).orElseThrow().chains().get(0).tcp().orElseThrow();
    }

    static InvalidResourceException refusal(TcpProxy tp) {
        try {
            ListenerTranslator.translate(listener(tp));
        } catch (InvalidResourceException e) {
            return e;
        }
        throw new AssertionError("accepted: " + tp);
    }

    @Test
    void aSingleClusterIsOneChoice() throws Exception {
        TcpChain c = chain(TcpProxy.newBuilder().setStatPrefix(V1).setCluster(V1).build());
        assertThat(c.clusters()).containsExactly(new TcpChain.WeightedCluster(V1, 1));
        assertThat(c.pick(() -> { throw new AssertionError("one cluster needs no draw"); })).isEqualTo(V1);
    }

    @Test
    void weightedClustersKeepTheirOrderAndWeightsUpToUint32() throws Exception {
        assertThat(chain(weighted(cw(V1, 90), cw(V2, 10))).clusters())
                .containsExactly(new TcpChain.WeightedCluster(V1, 90), new TcpChain.WeightedCluster(V2, 10));
        assertThat(chain(weighted(cw(V1, -1), cw(V2, 1))).clusters()).as("uint32 weights above Integer.MAX_VALUE")
                .containsExactly(new TcpChain.WeightedCluster(V1, 4_294_967_295L), new TcpChain.WeightedCluster(V2, 1));
        assertThat(chain(weighted(cw(V2, 3))).clusters()).as("a single weighted cluster")
                .containsExactly(new TcpChain.WeightedCluster(V2, 3));
    }

    @Test
    void theListenerRendersInTheConfigDumpMapping() throws Exception {
        String json = XdsTypeRegistry.printer().print(listener(weighted(cw(V1, 90), cw(V2, 10))));
        assertThat(json).contains("\"weighted_clusters\"").contains(V1).contains(V2).contains("\"weight\": 10");
    }

    @Test
    void neitherClusterNorWeightedClustersIsRefusedNamingCluster() {
        InvalidResourceException e = refusal(TcpProxy.newBuilder().setStatPrefix("x").build());
        assertThat(e.resourceName()).isEqualTo("0.0.0.0_7070");
        assertThat(e.field()).isEqualTo(PROXY + ".cluster");
        assertThat(refusal(TcpProxy.newBuilder().setStatPrefix("x").setCluster("").build()).field())
                .isEqualTo(PROXY + ".cluster");
    }

    @Test
    void badWeightedClustersAreRefusedByField() {
        assertThat(refusal(weighted()).field()).as("no clusters").isEqualTo(PROXY + ".weighted_clusters.clusters");
        assertThat(refusal(weighted(cw(V1, 90), cw("", 10))).field()).isEqualTo(PROXY + ".weighted_clusters.clusters[1].name");
        InvalidResourceException zero = refusal(weighted(cw(V1, 90), cw(V2, 0)));
        assertThat(zero.field()).as("Envoy's validation refuses a zero weight (gte: 1)")
                .isEqualTo(PROXY + ".weighted_clusters.clusters[1].weight");
        assertThat(zero.reason()).contains("at least 1");
        assertThat(refusal(weighted(cw(V1, 0), cw(V2, 0))).field()).as("all zero")
                .isEqualTo(PROXY + ".weighted_clusters.clusters[0].weight");
        InvalidResourceException subset = refusal(weighted(cw(V1, 90), cw(V2, 10).toBuilder()
                .setMetadataMatch(Metadata.newBuilder().putFilterMetadata("envoy.lb", Struct.getDefaultInstance())).build()));
        assertThat(subset.field()).isEqualTo(PROXY + ".weighted_clusters.clusters[1].metadata_match");
        assertThat(subset.reason()).contains("subset");
    }

    @Test
    void unsupportedProxyFieldsAreRefusedByField() {
        TcpProxy base = TcpProxy.newBuilder().setStatPrefix(V1).setCluster(V1).build();
        assertThat(refusal(base.toBuilder().setMetadataMatch(Metadata.getDefaultInstance()).build()).field())
                .isEqualTo(PROXY + ".metadata_match");
        assertThat(refusal(base.toBuilder().setTunnelingConfig(TcpProxy.TunnelingConfig.newBuilder().setHostname("h")).build())
                .field()).isEqualTo(PROXY + ".tunneling_config");
        assertThat(refusal(weighted(cw(V1, 1)).toBuilder().setOnDemand(TcpProxy.OnDemand.getDefaultInstance()).build()).field())
                .isEqualTo(PROXY + ".on_demand");
    }

    @Test
    void aTcpProxyBeforeAnotherFilterIsStillRefused() {
        Listener l = listener(weighted(cw(V1, 1))).toBuilder().setFilterChains(0, listener(weighted(cw(V1, 1)))
                .getFilterChains(0).toBuilder().addFilters(Filter.newBuilder().setName("envoy.filters.network.tcp_proxy")
                        .setTypedConfig(Any.pack(weighted(cw(V2, 1)))))).build();
        assertThatThrownBy(() -> ListenerTranslator.translate(l)).isInstanceOfSatisfying(InvalidResourceException.class,
                e -> assertThat(e.field()).isEqualTo("filter_chains[0].filters[0]"));
    }
}
