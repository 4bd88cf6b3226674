package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.e2e.local.LoadReport;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.e2e.driver.TargetUnsupportedException;
import io.isthmus.mesh.MeshLabels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Kubernetes side of the kind driver against two fabric8 mock API servers in CRUD mode, seeded
 * as {@code kind-tests/kind/up.sh} installs the clusters; the test plays the kubelet where pods
 * must appear. Port-forward (the pods' control port) cannot be tested here: the mock server does
 * not speak that protocol, so started pods count as serving once Ready.
 */
class KindFederationTest {
    private MockKindClusters kind;
    private KindFederation fed;
    private Deployment reviewsV1;

    @BeforeEach
    void up(@TempDir Path dir) throws IOException {
        kind = new MockKindClusters("east", "west");
        kind.install("east", "us-east", "172.18.0.2");
        kind.install("west", "us-west", "172.18.0.3");
        reviewsV1 = kind.demo("east", "reviews", "v1", "a", List.of(new EnvVar(KindFederation.CERT_TTL_ENV, "120s", null)));
        kind.demo("east", "reviews", "v2", "b", List.of());
        kind.demo("west", "details", "v1", "a", List.of());
        fed = KindFederation.connect(new KindOptions(List.of("kind-east", "kind-west"), kind.kubeconfigFile(dir), Map.of(),
                Duration.ofSeconds(20)), p -> true, new KindNodes(command -> new KindNodes.Result(127, "docker: not found")));
    }

    @AfterEach
    void down() {
        fed.close();
        kind.close();
    }

    private Deployment deployment(String cluster, String ns, String name) {
        return kind.client(cluster).apps().deployments().inNamespace(ns).withName(name).get();
    }

    @Test
    void clusters_are_named_by_their_isthmus_cluster_config_map_and_list_their_ready_demo_pods_with_zones() {
        assertThat(fed.target()).isEqualTo("kind");
        assertThat(fed.clusters()).extracting(KindCluster::name).containsExactly("east", "west");
        assertThat(fed.cluster("west").network()).isEqualTo("network-west");
        assertThat(fed.cluster("east").runsController()).isTrue();
        assertThat(fed.cluster("east").pods("reviews")).extracting(KindPod::zone).containsExactly("us-east-1a", "us-east-1b");
        KindPod details = fed.pod("west", "details");
        assertThat(details.cluster()).isEqualTo("west");
        assertThat(details.node()).isEqualTo("west-worker");
        assertThat(details.address()).startsWith("10.110.0.");
        // The gateway pod has no control port: not a demo pod.
        assertThat(fed.cluster("east").pods()).extracting(KindPod::name).allMatch(n -> n.startsWith("reviews-"));
        assertThat(fed.cluster("east").pods()).as("each runs the isthmus-proxy container").allMatch(KindPod::hasSidecar);
        assertThatThrownBy(() -> fed.cluster("north")).hasMessageContaining("no cluster named 'north'").hasMessageContaining("east");
        assertThatThrownBy(() -> fed.pod("west", "reviews")).hasMessageContaining("no ready pod of reviews in west");
    }

    @Test
    void a_killed_pod_is_deleted_and_its_deployment_scaled_down_so_it_is_not_replaced() {
        KindPod p = fed.cluster("east").pods("reviews").stream().filter(x -> x.zone().equals("us-east-1a")).findFirst().orElseThrow();
        fed.kill(p, Duration.ofSeconds(1));
        assertThat(deployment("east", "default", "reviews-v1").getSpec().getReplicas()).isZero();
        assertThat(kind.client("east").pods().inNamespace("default").withName(p.name()).get()).isNull();
        assertThat(fed.cluster("east").pods("reviews")).extracting(KindPod::zone).containsExactly("us-east-1b");
        assertThat(deployment("east", "default", "reviews-v2").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void a_started_pod_scales_its_deployment_up_and_is_returned_once_ready() {
        KubernetesClient east = kind.client("east");
        CompletableFuture<Pod> kubelet = CompletableFuture.supplyAsync(() -> {
            await().atMost(Duration.ofSeconds(10)).until(() -> deployment("east", "default", "reviews-v1").getSpec().getReplicas() == 2);
            return kind.readyPod("east", reviewsV1, "east-worker");
        });
        KindPod started = fed.startPod("reviews", "east", "us-east-1a", "v1");
        assertThat(started.name()).isEqualTo(kubelet.join().getMetadata().getName());
        assertThat(started.zone()).isEqualTo("us-east-1a");
        assertThat(east.pods().inNamespace("default").withLabel("version", "v1").list().getItems()).hasSize(2);
    }

    @Test
    void a_pod_cannot_be_started_in_a_zone_its_deployment_does_not_place_pods_in() {
        assertThatThrownBy(() -> fed.startPod("reviews", "east", "us-east-1b", "v1"))
                .hasMessageContaining("reviews-v1").hasMessageContaining("[us-east-1a]").hasMessageContaining("not in us-east-1b");
        assertThatThrownBy(() -> fed.startPod("reviews", "east", "us-east-1a", "v3")).hasMessageContaining("0 Deployments");
        assertThat(deployment("east", "default", "reviews-v1").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void a_remote_secret_is_made_as_create_remote_secret_makes_it_with_the_control_plane_address_and_deleted() {
        fed.createRemoteSecret("east", "west");
        Secret s = kind.client("east").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName("istio-remote-secret-west").get();
        assertThat(s.getMetadata().getLabels()).containsEntry(MeshLabels.MULTI_CLUSTER, "true");
        String kubeconfig = RemoteSecrets.clusters(s).get("west");
        assertThat(kubeconfig).contains("server: \"https://172.18.0.3:6443\"").contains("token-west");

        fed.deleteRemoteSecret("east", "west");
        assertThat(kind.client("east").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName("istio-remote-secret-west").get()).isNull();
    }

    @Test
    void a_remote_secret_uses_the_api_server_url_given_for_the_cluster(@TempDir Path dir) throws IOException {
        try (KindFederation f = KindFederation.connect(new KindOptions(List.of("kind-east", "kind-west"), kind.kubeconfigFile(dir),
                Map.of("west", "https://west-control-plane:6443"), Duration.ofSeconds(5)), p -> true)) {
            f.createRemoteSecret("east", "west");
        }
        Secret s = kind.client("east").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName("istio-remote-secret-west").get();
        assertThat(RemoteSecrets.clusters(s).get("west")).contains("https://west-control-plane:6443");
    }

    @Test
    void controllers_are_killed_by_scaling_to_zero_and_come_back_at_their_former_replicas() {
        Deployment controller = deployment("east", MeshLabels.SYSTEM_NAMESPACE, KindFederation.CONTROLLER);
        fed.killController("east");
        assertThat(deployment("east", MeshLabels.SYSTEM_NAMESPACE, KindFederation.CONTROLLER).getSpec().getReplicas()).isZero();
        assertThat(kind.client("east").pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withLabel("app", KindFederation.CONTROLLER)
                .list().getItems()).isEmpty();

        CompletableFuture<Pod> kubelet = CompletableFuture.supplyAsync(() -> {
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    deployment("east", MeshLabels.SYSTEM_NAMESPACE, KindFederation.CONTROLLER).getSpec().getReplicas() == 1);
            return kind.readyPod("east", controller, "east-worker");
        });
        fed.restartController("east");
        assertThat(kubelet.join()).isNotNull();
        assertThat(deployment("east", MeshLabels.SYSTEM_NAMESPACE, KindFederation.CONTROLLER).getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void the_gateway_restarts_as_a_new_pod_and_the_service_announces_its_node() {
        KindGateway gw = fed.gateway("network-west");
        assertThat(gw.network()).isEqualTo("network-west");
        assertThat(fed.gateway("network-elsewhere")).isNull();
        Deployment d = deployment("west", MeshLabels.SYSTEM_NAMESPACE, KindFederation.GATEWAY);
        gw.kill();
        assertThat(kind.client("west").pods().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withLabel("istio", KindFederation.GATEWAY_LABEL)
                .list().getItems()).isEmpty();
        Pod replacement = kind.readyPod("west", d, "west-worker2");
        gw.restart(Duration.ofSeconds(10));
        assertThat(kind.client("west").services().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindFederation.GATEWAY).get()
                .getStatus().getLoadBalancer().getIngress().get(0).getIp()).isEqualTo(replacement.getStatus().getHostIP());
    }

    @Test
    void istio_config_is_applied_and_deleted_as_custom_resources() {
        String vs = """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews.default.svc.cluster.local]
                """;
        ResourceDefinitionContext ctx = new ResourceDefinitionContext.Builder().withGroup("networking.istio.io").withVersion("v1")
                .withKind("VirtualService").withPlural("virtualservices").withNamespaced(true).build();
        fed.cluster("east").applyConfig(vs);
        GenericKubernetesResource r = kind.client("east").genericKubernetesResources(ctx).inNamespace("default").withName("reviews").get();
        assertThat(r).isNotNull();
        fed.cluster("east").deleteConfig(vs);
        assertThat(kind.client("east").genericKubernetesResources(ctx).inNamespace("default").withName("reviews").get()).isNull();
    }

    @Test
    void the_workload_certificate_lifetime_is_read_from_the_sidecars_environment() {
        assertThat(fed.workloadCertTtl()).isEqualTo(Duration.ofSeconds(120));
        assertThat(KindFederation.duration("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(KindFederation.duration("24h")).isEqualTo(Duration.ofHours(24));
        assertThatThrownBy(() -> KindFederation.duration("soon")).hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void what_kind_cannot_do_is_refused_with_its_reason_never_faked() {
        for (Capability c : Capability.values()) {
            assertThat(fed.unsupported(c)).as("%s", c).isPresent();
        }
        assertThatThrownBy(() -> fed.cluster("west").stopApiServer()).isInstanceOf(TargetUnsupportedException.class)
                .hasMessageContaining("static pod");
    }

    @Test
    void load_report_zones_are_translated_from_node_names() {
        LoadReport r = new LoadReport(2, 2, 0, Map.of("east", 2), List.of(
                new LoadReport.Sample(1, 200, "east", "east-worker", "v1", 10, "", ""),
                new LoadReport.Sample(2, 200, "west", "west-worker2", "v2", 10, "", "")));
        assertThat(KindPod.zoned(r, fed.nodeZones()).samples()).extracting(LoadReport.Sample::zone)
                .containsExactly("us-east-1a", "us-west-1b");
    }

    @Test
    void a_context_whose_api_server_does_not_answer_is_named(@TempDir Path dir) throws IOException {
        String config = kind.kubeconfig().replaceFirst("https://127\\.0\\.0\\.1:\\d+", "https://127.0.0.1:1");
        Path file = java.nio.file.Files.writeString(dir.resolve("broken"), config);
        assertThatThrownBy(() -> KindFederation.connect(new KindOptions(List.of("kind-east"), file, Map.of(), Duration.ofSeconds(5)),
                p -> true)).hasMessageContaining("kind context kind-east");
    }
}
