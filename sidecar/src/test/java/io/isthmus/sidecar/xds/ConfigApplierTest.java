package io.isthmus.sidecar.xds;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static io.isthmus.sidecar.xds.XdsResourceType.CLUSTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigApplierTest {
    final RecordingSink sink = new RecordingSink();
    final ConfigApplier applier = new ConfigApplier(sink, (s, v) -> { }, new ResourceStore(), Clock.systemUTC());

    @Test
    void staticAndDynamicAreMergedAndCollisionsRejected() {
        applier.applyStatic(List.of(Cluster.newBuilder().setName("local").build()), List.of(), List.of());
        assertThat(sink.of(CLUSTER)).containsOnlyKeys("local");

        applier.apply(CLUSTER, Map.of("outbound|80||a", Cluster.newBuilder().setName("outbound|80||a").build()), "1");
        assertThat(sink.of(CLUSTER)).containsOnlyKeys("local", "outbound|80||a");
        assertThat(sink.versions.get(CLUSTER)).isEqualTo("1");

        Map<String, Message> clash = Map.of("local", Cluster.newBuilder().setName("local").build());
        assertThatThrownBy(() -> applier.apply(CLUSTER, clash, "2"))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("'local'").hasMessageContaining("static");
        assertThat(applier.store().state(CLUSTER).version()).isEqualTo("1");

        applier.apply(CLUSTER, Map.of(), "3");
        assertThat(sink.of(CLUSTER)).as("static resources stay when the dynamic set empties").containsOnlyKeys("local");
    }

    @Test
    void aHandlerThatBreaksBecomesARejectionNotACrash() {
        ResourceSink broken = new RecordingSink() {
            @Override
            public ResourceHandler<Cluster> clusters() {
                return (r, v) -> {
                    throw new IllegalStateException("boom");
                };
            }
        };
        ConfigApplier a = new ConfigApplier(broken, (s, v) -> { }, new ResourceStore(), Clock.systemUTC());
        assertThatThrownBy(() -> a.apply(CLUSTER, Map.of(), "1"))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("internal error").hasMessageContaining("boom");
    }

    @Test
    void duplicateStaticNamesAreRejected() {
        Cluster c = Cluster.newBuilder().setName("x").build();
        assertThatThrownBy(() -> applier.applyStatic(List.of(c, c), List.of(), List.of()))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("duplicate");
    }

    @Test
    void rootCaGoesToTheCertificatesAndNamedSecretsToTheDataPlane() {
        java.util.List<Map<String, io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret>> mesh = new java.util.ArrayList<>();
        ConfigApplier a = new ConfigApplier(sink, (s, v) -> mesh.add(s), new ResourceStore(), Clock.systemUTC());
        var root = io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.newBuilder().setName("ROOTCA").build();
        var cred = io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret.newBuilder().setName("kubernetes://cred").build();
        a.apply(XdsResourceType.SECRET, Map.of("ROOTCA", root, "kubernetes://cred", cred), "1");
        assertThat(mesh).hasSize(1);
        assertThat(mesh.get(0)).containsOnlyKeys("ROOTCA");
        assertThat(sink.of(XdsResourceType.SECRET)).containsOnlyKeys("kubernetes://cred");

        ResourceSink withoutSecrets = new ResourceSink() {
            @Override
            public ResourceHandler<io.envoyproxy.envoy.config.listener.v3.Listener> listeners() {
                return sink.listeners();
            }

            @Override
            public ResourceHandler<io.envoyproxy.envoy.config.route.v3.RouteConfiguration> routes() {
                return sink.routes();
            }

            @Override
            public ResourceHandler<Cluster> clusters() {
                return sink.clusters();
            }

            @Override
            public ResourceHandler<io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment> endpoints() {
                return sink.endpoints();
            }
        };
        ConfigApplier plain = new ConfigApplier(withoutSecrets, (s, v) -> { }, new ResourceStore(), Clock.systemUTC());
        assertThatThrownBy(() -> plain.apply(XdsResourceType.SECRET, Map.of("kubernetes://cred", cred), "2"))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("kubernetes://cred");
    }
}
