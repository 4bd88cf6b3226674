package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.isthmus.mesh.PeerMetadataExchange;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.sidecar.filter.PeerExchange;
import org.junit.jupiter.api.Test;

/** The peer metadata exchange filter's config, as Istio's control plane writes it, and what is refused by name. */
class PeerExchangeTranslatorTest {

    @Test
    void inboundAndOutboundConfigsOfTheControlPlane() throws Exception {
        assertThat(PeerExchangeTranslator.translate(xds(PeerMetadataExchange.inboundConfig())))
                .isEqualTo(new PeerExchange(true, true, false, false));
        assertThat(PeerExchangeTranslator.translate(xds(PeerMetadataExchange.outboundConfig())))
                .isEqualTo(new PeerExchange(false, false, true, true));
    }

    @Test
    void theOlderUdpaTypedStructIsReadToo() throws Exception {
        Any udpa = Any.pack(com.github.udpa.udpa.type.v1.TypedStruct.newBuilder()
                .setTypeUrl(PeerMetadataExchange.CONFIG_TYPE_URL).setValue(PeerMetadataExchange.outboundConfig()).build());

        assertThat(PeerExchangeTranslator.isPeerMetadata(udpa)).isTrue();
        assertThat(PeerExchangeTranslator.translate(udpa).upstreamPropagation()).isTrue();
    }

    @Test
    void workloadDiscoveryAloneLearnsNothing() throws Exception {
        Struct config = Struct.newBuilder().putFields("downstream_discovery", methods("workload_discovery")).build();

        assertThat(PeerExchangeTranslator.translate(xds(config)).enabled()).isFalse();
    }

    @Test
    void unknownFieldsAndMethodsAreRefusedByName() {
        assertThatThrownBy(() -> PeerExchangeTranslator.translate(xds(Struct.newBuilder()
                .putFields("additional_labels", Value.newBuilder().setListValue(ListValue.getDefaultInstance()).build()).build())))
                .isInstanceOf(UnsupportedFieldException.class)
                .extracting(e -> ((UnsupportedFieldException) e).field()).isEqualTo("value.additional_labels");
        assertThatThrownBy(() -> PeerExchangeTranslator.translate(xds(Struct.newBuilder()
                .putFields("upstream_propagation", methods("workload_discovery")).build())))
                .isInstanceOf(UnsupportedFieldException.class)
                .extracting(e -> ((UnsupportedFieldException) e).field())
                .isEqualTo("value.upstream_propagation[0].workload_discovery");
        assertThatThrownBy(() -> PeerExchangeTranslator.translate(xds(Struct.newBuilder()
                .putFields("upstream_discovery", Value.newBuilder().setStringValue("istio_headers").build()).build())))
                .isInstanceOf(UnsupportedFieldException.class).hasMessageContaining("list");
    }

    @Test
    void anotherTypedStructIsNotThisFilter() throws Exception {
        Any other = Any.pack(com.github.xds.type.v3.TypedStruct.newBuilder()
                .setTypeUrl("type.googleapis.com/io.istio.http.stats.PluginConfig").build());

        assertThat(PeerExchangeTranslator.isPeerMetadata(other)).isFalse();
    }

    private static Any xds(Struct config) {
        return Any.pack(com.github.xds.type.v3.TypedStruct.newBuilder()
                .setTypeUrl(PeerMetadataExchange.CONFIG_TYPE_URL).setValue(config).build());
    }

    private static Value methods(String... names) {
        ListValue.Builder l = ListValue.newBuilder();
        for (String n : names) {
            l.addValues(Value.newBuilder().setStructValue(Struct.newBuilder()
                    .putFields(n, Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())));
        }
        return Value.newBuilder().setListValue(l).build();
    }
}
