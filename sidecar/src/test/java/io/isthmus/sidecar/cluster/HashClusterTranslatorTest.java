package io.isthmus.sidecar.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.lb.HashLbConfig;
import io.isthmus.sidecar.lb.LbPolicy;
import io.isthmus.sidecar.testing.Xds;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * CDS {@code lb_policy: RING_HASH} with {@code ring_hash_lb_config} and {@code lb_policy: MAGLEV} with
 * {@code maglev_lb_config}, as Istio sends a DestinationRule's {@code consistentHash}: what is accepted, with
 * Envoy's defaults, and each refusal by its field.
 */
class HashClusterTranslatorTest {

    private static final String NAME = "outbound|9080||reviews.default.svc.cluster.local";

    private static Cluster.Builder cluster(Cluster.LbPolicy policy) {
        return Xds.edsCluster(NAME, null, List.of()).toBuilder().setLbPolicy(policy);
    }

    private static ClusterConfig translate(Cluster.Builder c) throws InvalidResourceException {
        return ClusterTranslator.translate(c.build());
    }

    @Test
    void ringHashTakesEnvoysDefaultsAndTheGivenSizes() throws Exception {
        ClusterConfig plain = translate(cluster(Cluster.LbPolicy.RING_HASH));
        assertThat(plain.lbPolicy()).isEqualTo(LbPolicy.RING_HASH);
        assertThat(plain.hashLb()).contains(new HashLbConfig.RingHash(1024, 8_388_608));

        ClusterConfig sized = translate(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig
                .newBuilder().setMinimumRingSize(UInt64Value.of(4096)).setMaximumRingSize(UInt64Value.of(65_536))
                .setHashFunction(Cluster.RingHashLbConfig.HashFunction.XX_HASH)));
        assertThat(sized.hashLb()).contains(new HashLbConfig.RingHash(4096, 65_536));
        assertThat(translate(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig
                .newBuilder().setMinimumRingSize(UInt64Value.of(8_388_608)))).hashLb())
                .contains(new HashLbConfig.RingHash(8_388_608, 8_388_608));
    }

    @Test
    void maglevTakesEnvoysDefaultOrAPrimeTableSize() throws Exception {
        ClusterConfig plain = translate(cluster(Cluster.LbPolicy.MAGLEV));
        assertThat(plain.lbPolicy()).isEqualTo(LbPolicy.MAGLEV);
        assertThat(plain.hashLb()).contains(new HashLbConfig.Maglev(65_537));
        assertThat(translate(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(251)))).hashLb()).contains(new HashLbConfig.Maglev(251));
        assertThat(translate(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.getDefaultInstance()))
                .hashLb()).contains(HashLbConfig.Maglev.DEFAULTS);
    }

    @Test
    void otherPoliciesHaveNoTable() throws Exception {
        assertThat(translate(cluster(Cluster.LbPolicy.LEAST_REQUEST)).hashLb()).isEqualTo(Optional.empty());
        assertThat(translate(cluster(Cluster.LbPolicy.ROUND_ROBIN)).lbPolicy().consistentHashing()).isFalse();
    }

    @Test
    void badRingSizesAreRefusedByField() {
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMinimumRingSize(UInt64Value.of(8_388_609))), "ring_hash_lb_config.minimum_ring_size");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMaximumRingSize(UInt64Value.of(1L << 40))), "ring_hash_lb_config.maximum_ring_size");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMaximumRingSize(UInt64Value.of(-1))), "ring_hash_lb_config.maximum_ring_size");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMinimumRingSize(UInt64Value.of(0))), "ring_hash_lb_config.minimum_ring_size");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMinimumRingSize(UInt64Value.of(20)).setMaximumRingSize(UInt64Value.of(10))),
                "ring_hash_lb_config.minimum_ring_size");
        // Envoy's default minimum (1,024) above a smaller maximum
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setMaximumRingSize(UInt64Value.of(512))), "ring_hash_lb_config.maximum_ring_size");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setHashFunction(Cluster.RingHashLbConfig.HashFunction.MURMUR_HASH_2)), "ring_hash_lb_config.hash_function");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder()
                .setHashFunctionValue(7)), "ring_hash_lb_config.hash_function");
    }

    @Test
    void badMaglevTableSizesAreRefusedByField() {
        refused(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(65_536))), "maglev_lb_config.table_size");
        refused(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(0))), "maglev_lb_config.table_size");
        refused(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(5_000_111))), "maglev_lb_config.table_size");
        refused(cluster(Cluster.LbPolicy.MAGLEV).setMaglevLbConfig(Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(-3))), "maglev_lb_config.table_size");
    }

    @Test
    void aTableOfTheOtherPolicyOrAnUnhonouredHashingOptionIsRefusedByField() {
        refused(cluster(Cluster.LbPolicy.ROUND_ROBIN).setRingHashLbConfig(Cluster.RingHashLbConfig.getDefaultInstance()),
                "ring_hash_lb_config");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setMaglevLbConfig(Cluster.MaglevLbConfig.getDefaultInstance()),
                "maglev_lb_config");
        refused(cluster(Cluster.LbPolicy.MAGLEV).setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                .setConsistentHashingLbConfig(Cluster.CommonLbConfig.ConsistentHashingLbConfig.newBuilder()
                        .setUseHostnameForHashing(true))), "common_lb_config.consistent_hashing_lb_config.use_hostname_for_hashing");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setCommonLbConfig(Cluster.CommonLbConfig.newBuilder()
                .setConsistentHashingLbConfig(Cluster.CommonLbConfig.ConsistentHashingLbConfig.newBuilder()
                        .setHashBalanceFactor(UInt32Value.of(150)))), "common_lb_config.consistent_hashing_lb_config.hash_balance_factor");
        refused(cluster(Cluster.LbPolicy.LOAD_BALANCING_POLICY_CONFIG), "lb_policy");
        refused(cluster(Cluster.LbPolicy.RING_HASH).setLbSubsetConfig(Cluster.LbSubsetConfig.getDefaultInstance()),
                "lb_subset_config");
    }

    @Test
    void aChangedTableIsAChangedConfigButKeepsThePools() throws Exception {
        ClusterConfig ring = translate(cluster(Cluster.LbPolicy.RING_HASH));
        ClusterConfig maglev = translate(cluster(Cluster.LbPolicy.MAGLEV));
        assertThat(ring).isNotEqualTo(maglev);
        assertThat(ring.samePools(maglev)).isTrue();
    }

    private static void refused(Cluster.Builder bad, String field) {
        assertThatThrownBy(() -> ClusterTranslator.translate(bad.build()))
                .isInstanceOfSatisfying(InvalidResourceException.class, e -> {
                    assertThat(e.field()).isEqualTo(field);
                    assertThat(e.resourceName()).isEqualTo(NAME);
                    assertThat(e.reason()).isNotBlank();
                });
    }
}
