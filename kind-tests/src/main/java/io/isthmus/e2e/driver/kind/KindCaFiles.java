package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.isthmus.mesh.MeshLabels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * An operator's CA step on kind: the files {@code isthmus ca issue-intermediate} wrote for a cluster
 * (Istio's cacerts layout) go into that cluster's Secret {@code isthmus-system/cacerts}, which the
 * controller Deployment mounts as its {@code --ca-dir} ({@code /etc/cacerts}); the controller
 * re-reads the directory once the kubelet has refreshed the Secret volume (about a minute at most).
 * A remote cluster (no controller) gets only {@code root-cert.pem}, which its east-west gateway
 * mounts; the root bundle also goes into {@code default/isthmus-root-cert}, which pods started
 * later read as their {@code --root-cert}.
 */
final class KindCaFiles {
    /** The Secret the controller and gateway mount (manifests/base). */
    static final String SECRET = "cacerts";
    /** The demo pods' root ConfigMap in {@code default} (written by up.sh). */
    static final String ROOT_CONFIGMAP = "isthmus-root-cert";
    /** The cacerts layout's files. */
    static final List<String> FILES = List.of("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem");
    private static final Logger LOG = LoggerFactory.getLogger(KindCaFiles.class);

    /** System property naming up.sh's PKI directory (the mesh root and its key, one directory per cluster). */
    static final String PKI_PROPERTY = "isthmus.e2e.kind.pki";

    private KindCaFiles() {
    }

    /**
     * up.sh's PKI directory: {@code -Disthmus.e2e.kind.pki}, else {@code $ISTHMUS_KIND_WORK/pki}, else
     * {@code .isthmus/kind/pki} at the repository root (lib.sh's default work directory; the scenarios
     * run in {@code kind-tests}).
     */
    static Path operatorPki(UnaryOperator<String> property, UnaryOperator<String> env) {
        String p = property.apply(PKI_PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p.trim());
        }
        String work = env.apply("ISTHMUS_KIND_WORK");
        if (work != null && !work.isBlank()) {
            return Path.of(work.trim(), "pki");
        }
        return Path.of("..", ".isthmus", "kind", "pki").toAbsolutePath().normalize();
    }

    /** Why the root cannot be rotated from {@code pki} (its root or key missing), or empty. */
    static Optional<String> missingRoot(Path pki) {
        for (String f : List.of("root-cert.pem", "root-key.pem")) {
            if (!Files.isRegularFile(pki.resolve(f))) {
                return Optional.of("rotating the root needs the operator's root key, and up.sh's PKI directory " + pki + " has no " + f
                        + " (-D" + PKI_PROPERTY + " names another)");
            }
        }
        return Optional.empty();
    }

    /**
     * Replaces the CA files of cluster {@code c} with those in {@code dir}: all four for a cluster
     * running a controller, the root only for a remote cluster. Throws naming a missing file.
     */
    static void write(KindCluster c, Path dir) {
        boolean controller = c.runsController();
        Map<String, String> data = new LinkedHashMap<>();
        for (String f : controller ? FILES : List.of("root-cert.pem")) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("CA directory " + dir + " for cluster " + c.name() + " has no " + f);
            }
            try {
                data.put(f, Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + p, e);
            }
        }
        c.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).resource(new SecretBuilder().withNewMetadata()
                .withName(SECRET).withNamespace(MeshLabels.SYSTEM_NAMESPACE).endMetadata().withType("Opaque").withData(data).build())
                .createOr(NonDeletingOperation::update);
        String root = new String(Base64.getDecoder().decode(data.get("root-cert.pem")), StandardCharsets.US_ASCII);
        c.client().configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName(ROOT_CONFIGMAP)
                .withNamespace("default").endMetadata().withData(Map.of("root-cert.pem", root)).build()).createOr(NonDeletingOperation::update);
        LOG.info("CA files written [{}] [files={} controller={}]", c.name(), data.keySet(), controller);
    }
}
