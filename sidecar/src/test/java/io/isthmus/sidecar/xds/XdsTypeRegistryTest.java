package io.isthmus.sidecar.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import org.junit.jupiter.api.Test;

/** The registry of types read inside an {@code Any}: every name right, and a parser for the types a text names. */
class XdsTypeRegistryTest {

    static final String CLUSTER = """
            {"name": "xds-grpc", "transport_socket": {"name": "envoy.transport_sockets.tls",
             "typed_config": {"@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                              "sni": "isthmus-controller.isthmus-system.svc"}}}""";

    @Test
    void everyTypeIsNamedByItsDescriptorsFullName() {
        assertThat(XdsTypeRegistry.typeNames()).hasSize(28).allSatisfy(name ->
                assertThat(XdsTypeRegistry.registry().find(name)).as(name).isNotNull()
                        .satisfies(d -> assertThat(d.getFullName()).isEqualTo(name)));
    }

    @Test
    void aParserForATextReadsItAsTheFullParserDoes() throws Exception {
        Cluster.Builder some = Cluster.newBuilder();
        XdsTypeRegistry.parserFor(CLUSTER).merge(CLUSTER, some);
        Cluster.Builder all = Cluster.newBuilder();
        XdsTypeRegistry.parser().merge(CLUSTER, all);
        assertThat(some.build()).isEqualTo(all.build());
        assertThat(some.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getSni())
                .isEqualTo("isthmus-controller.isthmus-system.svc");
    }

    @Test
    void aParserForATextKnowsNoTypeTheTextDoesNotName() {
        String other = CLUSTER.replace("\"@type\"", "\"@typo\"");
        assertThatThrownBy(() -> XdsTypeRegistry.parserFor(other).merge(CLUSTER, Cluster.newBuilder()))
                .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("UpstreamTlsContext");
    }
}
