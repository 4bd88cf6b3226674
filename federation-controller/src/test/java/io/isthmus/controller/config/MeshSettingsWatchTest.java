package io.isthmus.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.isthmus.controller.discovery.MockApiServer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The mesh-wide MeshConfig read from the ConfigMap {@code istio} of the root namespace, as Istio keeps it. */
class MeshSettingsWatchTest {

    @Test
    void theRootNamespacesIstioConfigMapSetsTheMeshWideOutboundPolicyAndFollowsChanges() {
        try (MockApiServer api = new MockApiServer()) {
            KubernetesConfigWatcherTest.installCrds(api);
            ConfigRegistry registry = new ConfigRegistry("isthmus-system");
            api.client().configMaps().inNamespace("isthmus-system").resource(new ConfigMapBuilder()
                    .withNewMetadata().withName("istio").withNamespace("isthmus-system").endMetadata()
                    .withData(Map.of("mesh", "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\ndefaultConfig:\n"
                            + "  gatewayTopology: {numTrustedProxies: 2}\n  discoveryAddress: x:15012\n"))
                    .build()).create();
            api.client().configMaps().inNamespace("isthmus-system").resource(new ConfigMapBuilder()
                    .withNewMetadata().withName("other").withNamespace("isthmus-system").endMetadata()
                    .withData(Map.of("mesh", "not: [yaml")).build()).create();
            try (KubernetesConfigWatcher w = new KubernetesConfigWatcher("east", api.client(), registry).start()) {
                await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().settings().outboundTrafficPolicy()
                        .equals(Optional.of(Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY)));
                assertThat(registry.current().settings().numTrustedProxies()).isEqualTo(2);
                assertThat(registry.current().outboundTrafficPolicyFor("default", Map.of()))
                        .isEqualTo(Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY);

                api.client().configMaps().inNamespace("isthmus-system").withName("istio").edit(c -> new ConfigMapBuilder(c)
                        .withData(Map.of("mesh", "outboundTrafficPolicy: {mode: EVERYTHING}")).build());
                await().atMost(Duration.ofSeconds(30)).until(() -> !registry.rejected().isEmpty());
                assertThat(registry.rejected()).singleElement().satisfies(e -> {
                    assertThat(e.resource()).isEqualTo(new ResourceRef("ConfigMap", "isthmus-system", "istio"));
                    assertThat(e.field()).isEqualTo("data.mesh.outboundTrafficPolicy.mode");
                });
                assertThat(registry.current().outboundTrafficPolicyFor("default", Map.of()))
                        .as("the last good version stays").isEqualTo(Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY);

                api.client().configMaps().inNamespace("isthmus-system").withName("istio").delete();
                await().atMost(Duration.ofSeconds(30)).until(() -> registry.current().settings().outboundTrafficPolicy().isEmpty());
                assertThat(registry.current().outboundTrafficPolicyFor("default", Map.of()))
                        .isEqualTo(Sidecar.OutboundTrafficPolicy.ALLOW_ANY);
            }
        }
    }
}
