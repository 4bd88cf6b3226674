package io.isthmus.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.KubernetesClients;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.mesh.MeshLabels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CreateRemoteSecretCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new CreateRemoteSecretCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void printsARemoteSecretWhoseFlattenedKubeconfigReachesTheApiServer(@TempDir Path dir) throws Exception {
        try (MockApiServer api = new MockApiServer()) {
            api.acceptTokens("reader-token");
            api.client().namespaces().resource(KubeObjects.namespace("default", Map.of())).create();
            Files.writeString(dir.resolve("token"), "reader-token\n");
            String kubeconfig = api.kubeconfig("west", "unused").replace("    token: unused",
                    "    tokenFile: " + dir.resolve("token"));
            Files.writeString(dir.resolve("kubeconfig"), kubeconfig);

            Run r = run("--kubeconfig", dir.resolve("kubeconfig").toString(), "--name", "west");
            assertThat(r.code()).as(r.err()).isZero();
            Secret secret = Serialization.unmarshal(r.out(), Secret.class);
            assertThat(secret.getMetadata().getName()).isEqualTo("istio-remote-secret-west");
            assertThat(secret.getMetadata().getNamespace()).isEqualTo(MeshLabels.SYSTEM_NAMESPACE);
            assertThat(secret.getMetadata().getLabels()).containsEntry(MeshLabels.MULTI_CLUSTER, "true")
                    .containsEntry(MeshLabels.ISTHMUS_REMOTE_SECRET, "true");
            assertThat(secret.getMetadata().getAnnotations()).containsEntry(MeshLabels.CLUSTER_NAME_ANNOTATION, "west");
            String flat = RemoteSecrets.clusters(secret).get("west");
            assertThat(flat).contains("reader-token").doesNotContain("tokenFile");
            try (KubernetesClient c = KubernetesClients.fromKubeconfig(flat, Duration.ofSeconds(5))) {
                assertThat(c.namespaces().list().getItems()).extracting(n -> n.getMetadata().getName()).contains("default");
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void errorsAndRbac(@TempDir Path dir) throws Exception {
        assertThat(run("--kubeconfig", dir.resolve("missing").toString(), "--name", "west").code()).isEqualTo(1);
        Files.writeString(dir.resolve("k"), "apiVersion: v1\nkind: Config\ncontexts: []\n");
        Run bad = run("--kubeconfig", dir.resolve("k").toString(), "--name", "west");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("[west]").contains("no current-context");
        assertThat(run("--kubeconfig", dir.resolve("k").toString(), "--name", "West_1").err()).contains("cluster name");

        Run rbac = run("--print-rbac");
        assertThat(rbac.code()).isZero();
        var docs = ConfigFiles.parse(rbac.out(), "rbac");
        assertThat(docs).extracting(GenericKubernetesResource::getKind)
                .contains("ServiceAccount", "ClusterRole", "ClusterRoleBinding");
        GenericKubernetesResource role = docs.stream().filter(d -> d.getKind().equals("ClusterRole")).findFirst().orElseThrow();
        java.util.List<?> rules = (java.util.List<?>) role.getAdditionalProperties().get("rules");
        assertThat(rules).allSatisfy(rule -> assertThat((java.util.List<Object>) ((Map<?, ?>) rule).get("verbs"))
                .containsExactlyInAnyOrder("get", "list", "watch"));
        // secrets: read only, for the gateway credentials of the remote cluster's gateways
        assertThat(rules).anySatisfy(rule -> assertThat((java.util.List<Object>) ((Map<?, ?>) rule).get("resources"))
                .contains("secrets"));
        assertThat(docs).filteredOn(d -> d.getKind().equals("Role")).isEmpty();
    }
}
