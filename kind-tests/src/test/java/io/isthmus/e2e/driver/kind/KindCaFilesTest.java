package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.Secret;
import io.isthmus.e2e.driver.Capability;
import io.isthmus.mesh.MeshLabels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The operator's CA step on kind against mock API servers of the primary-remote topology: a
 * primary's cacerts Secret gets the four files of the cacerts layout, a remote cluster's only the
 * root, both the demo pods' root ConfigMap; an incomplete directory is refused naming the file.
 * An operator's {@code isthmus ca issue-intermediate} through the driver lands in up.sh's PKI
 * directory and in those Secrets; without the root key the rotation capability is refused.
 */
class KindCaFilesTest {
    private MockKindClusters kind;
    private KindFederation fed;

    @BeforeEach
    void up(@TempDir Path dir) throws IOException {
        kind = new MockKindClusters("east", "west", "north");
        kind.install("east", "us-east", "172.18.0.2");
        kind.install("west", "us-west", "172.18.0.3");
        kind.install("north", "eu-north", "172.18.0.4", false);
        fed = KindFederation.connect(new KindOptions(List.of("kind-east", "kind-west", "kind-north"), kind.kubeconfigFile(dir), Map.of(),
                Duration.ofSeconds(20), Optional.of(Path.of("..", "topology-configs", "three-clusters-primary-remote.yaml"))), p -> true);
    }

    @AfterEach
    void down() {
        fed.close();
        kind.close();
    }

    private static Path caDir(Path dir, String tag) throws IOException {
        for (String f : KindCaFiles.FILES) {
            Files.writeString(dir.resolve(f), "-----BEGIN " + tag + " " + f + "-----\n");
        }
        return dir;
    }

    private static String file(Secret s, String name) {
        return new String(Base64.getDecoder().decode(s.getData().get(name)), StandardCharsets.US_ASCII);
    }

    @Test
    void a_primary_gets_the_cacerts_layout_and_a_remote_cluster_the_root_only(@TempDir Path tmp) throws IOException {
        Path first = caDir(Files.createDirectory(tmp.resolve("first")), "OLD");
        Path second = caDir(Files.createDirectory(tmp.resolve("second")), "NEW");
        fed.writeCaFiles("east", first);
        fed.writeCaFiles("east", second);
        fed.writeCaFiles("north", second);

        Secret east = kind.client("east").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get();
        assertThat(east.getData()).containsOnlyKeys(KindCaFiles.FILES);
        assertThat(file(east, "ca-key.pem")).contains("NEW ca-key.pem");
        Secret north = kind.client("north").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get();
        assertThat(north.getData()).containsOnlyKeys("root-cert.pem");
        assertThat(kind.client("north").configMaps().inNamespace("default").withName(KindCaFiles.ROOT_CONFIGMAP).get().getData())
                .containsEntry("root-cert.pem", "-----BEGIN NEW root-cert.pem-----\n");
        assertThat(kind.client("west").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get()).isNull();
    }

    @Test
    void an_incomplete_directory_is_refused_naming_the_file(@TempDir Path tmp) throws IOException {
        Path dir = caDir(tmp, "X");
        Files.delete(dir.resolve("cert-chain.pem"));
        assertThatThrownBy(() -> fed.writeCaFiles("west", dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cluster west has no cert-chain.pem");
        assertThat(kind.client("west").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get()).isNull();
        fed.writeCaFiles("north", dir);
    }

    @Test
    void an_intermediate_issued_through_the_driver_lands_in_the_pki_directory_and_the_secrets(@TempDir Path pki) throws IOException {
        Path oldRoot = pki.resolve("old");
        Path newRoot = pki.resolve("new");
        ca("init-root", "--out", oldRoot.toString());
        ca("init-root", "--out", newRoot.toString());
        Files.copy(oldRoot.resolve("root-cert.pem"), pki.resolve("root-cert.pem"));
        Files.copy(oldRoot.resolve("root-key.pem"), pki.resolve("root-key.pem"));
        fed.caRootDir(pki);
        assertThat(fed.caRootDir()).isEqualTo(pki);
        assertThat(fed.caFilesDir("east")).isEqualTo(pki.resolve("east"));
        String oldPem = Files.readString(oldRoot.resolve("root-cert.pem"));
        String newPem = Files.readString(newRoot.resolve("root-cert.pem"));

        for (String c : List.of("east", "west", "north")) {
            fed.issueIntermediate(c, oldRoot, List.of(newRoot.resolve("root-cert.pem")));
        }
        Secret east = kind.client("east").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get();
        assertThat(east.getData()).containsOnlyKeys(KindCaFiles.FILES);
        assertThat(file(east, "root-cert.pem")).contains(body(oldPem)).contains(body(newPem));
        assertThat(file(east, "ca-cert.pem")).isEqualTo(Files.readString(pki.resolve("east").resolve("ca-cert.pem")));
        assertThat(file(east, "ca-key.pem")).contains("PRIVATE KEY");
        Secret north = kind.client("north").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get();
        assertThat(north.getData()).containsOnlyKeys("root-cert.pem");
        assertThat(file(north, "root-cert.pem")).contains(body(oldPem)).contains(body(newPem));

        fed.issueIntermediate("west", newRoot, List.of());
        Secret west = kind.client("west").secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(KindCaFiles.SECRET).get();
        assertThat(file(west, "root-cert.pem")).contains(body(newPem)).doesNotContain(body(oldPem));
        assertThat(kind.client("west").configMaps().inNamespace("default").withName(KindCaFiles.ROOT_CONFIGMAP).get().getData()
                .get("root-cert.pem")).contains(body(newPem)).doesNotContain(body(oldPem));
        assertThat(kind.client("east").configMaps().inNamespace("default").withName(KindCaFiles.ROOT_CONFIGMAP).get().getData()
                .get("root-cert.pem")).contains(body(oldPem)).contains(body(newPem));
    }

    @Test
    void without_the_root_key_the_rotation_is_refused_naming_the_file(@TempDir Path pki) throws IOException {
        fed.caRootDir(pki);
        Files.writeString(pki.resolve("root-cert.pem"), "x");
        assertThat(fed.unsupported(Capability.CA_FILES)).hasValueSatisfying(r -> assertThat(r).contains(pki.toString()).contains("root-key.pem"));
        Files.writeString(pki.resolve("root-key.pem"), "x");
        assertThat(fed.unsupported(Capability.CA_FILES)).isEmpty();
    }

    @Test
    void the_pki_directory_is_the_property_else_the_work_directory_else_the_repository_default() {
        assertThat(KindCaFiles.operatorPki(k -> KindCaFiles.PKI_PROPERTY.equals(k) ? "/a/pki" : null, k -> "/w"))
                .isEqualTo(Path.of("/a/pki"));
        assertThat(KindCaFiles.operatorPki(k -> null, k -> "ISTHMUS_KIND_WORK".equals(k) ? "/w" : null)).isEqualTo(Path.of("/w", "pki"));
        assertThat(KindCaFiles.operatorPki(k -> null, k -> null)).isEqualTo(Path.of("..", ".isthmus", "kind", "pki").toAbsolutePath().normalize());
    }

    /** The base64 body of a PEM (no armour lines), as it appears inside a bundle. */
    private static String body(String pem) {
        return String.join("\n", pem.lines().filter(l -> !l.startsWith("-----") && !l.isBlank()).toList());
    }

    private static void ca(String... args) {
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = new picocli.CommandLine(new io.isthmus.trust.cli.CaCommand()).setErr(new java.io.PrintWriter(err))
                .setOut(new java.io.PrintWriter(new java.io.StringWriter())).execute(args);
        assertThat(rc).as("isthmus ca " + String.join(" ", args) + ": " + err).isZero();
    }
}
