package io.isthmus.controller.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.isthmus.controller.discovery.MockApiServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Istio config read from an API server as generic resources; invalid updates rejected, last good kept. */
class KubernetesConfigWatcherTest {

    static void installCrds(MockApiServer api) {
        for (ConfigParser.Kind k : ConfigParser.KINDS) {
            api.client().apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                    .withNewMetadata().withName(k.plural() + "." + k.group()).endMetadata()
                    .withNewSpec().withGroup(k.group()).withScope("Namespaced")
                    .withNewNames().withKind(k.kind()).withPlural(k.plural()).endNames()
                    .addNewVersion().withName("v1").withServed(true).withStorage(true).endVersion()
                    .endSpec().build()).create();
        }
    }

    static ResourceDefinitionContext ctx(String kind) {
        ConfigParser.Kind k = ConfigParser.KINDS.stream().filter(x -> x.kind().equals(kind)).findFirst().orElseThrow();
        return new ResourceDefinitionContext.Builder().withGroup(k.group()).withVersion("v1").withKind(kind)
                .withPlural(k.plural()).withNamespaced(true).build();
    }

    @Test
    void readsValidatesAndFollowsChanges() {
        try (MockApiServer api = new MockApiServer()) {
            installCrds(api);
            ConfigRegistry registry = new ConfigRegistry("isthmus-system");
            String ap = """
                    apiVersion: security.istio.io/v1
                    kind: AuthorizationPolicy
                    metadata: {name: deny-east, namespace: default}
                    spec:
                      selector: {matchLabels: {app: reviews}}
                      action: DENY
                      rules:
                      - from:
                        - source: {principals: ["cluster.local/ns/default/sa/client"]}
                    """;
            GenericKubernetesResource r = ConfigFiles.parse(ap, "t").get(0);
            api.client().genericKubernetesResources(ctx("AuthorizationPolicy")).inNamespace("default").resource(r).create();
            try (KubernetesConfigWatcher w = new KubernetesConfigWatcher("east", api.client(), registry).start()) {
                await().atMost(Duration.ofSeconds(20)).until(() -> registry.current().all(AuthorizationPolicy.class).size() == 1);

                GenericKubernetesResource bad = ConfigFiles.parse(ap.replace("action: DENY", "action: AUDIT"), "t").get(0);
                api.client().genericKubernetesResources(ctx("AuthorizationPolicy")).inNamespace("default").resource(bad).update();
                await().until(() -> !registry.rejected().isEmpty());
                assertThat(registry.rejected().get(0).getMessage())
                        .isEqualTo("AuthorizationPolicy default/deny-east: spec.action: must be one of [ALLOW, DENY], got AUDIT");
                assertThat(registry.current().authorizationPoliciesFor("default", java.util.Map.of("app", "reviews")))
                        .singleElement().satisfies(p -> assertThat(p.action()).isEqualTo(AuthorizationPolicy.Action.DENY));

                api.client().genericKubernetesResources(ctx("AuthorizationPolicy")).inNamespace("default")
                        .withName("deny-east").delete();
                await().until(() -> registry.current().resources().isEmpty() && registry.rejected().isEmpty());
            }
        }
    }
}
