package io.isthmus.controller;

import io.isthmus.controller.discovery.KubernetesClients;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which API server a controller reads, and what TokenReview needs. */
class ControllerConfigTest {
    private static final Path CA = Path.of("/etc/cacerts");

    @Test
    void inClusterReadsKubernetesAndAllowsTokenReview() {
        ControllerConfig c = ControllerConfig.builder("east", "net-east", CA).inCluster(true)
                .tokenReview(ControllerConfig.TokenReview.ON).build();
        assertThat(c.kubernetes()).isTrue();
        assertThat(c.registryFileCluster()).isEqualTo("east-file");
    }

    @Test
    void tokenReviewWithoutAnApiServerIsRefused() {
        assertThatThrownBy(() -> ControllerConfig.builder("east", "net-east", CA)
                .tokenReview(ControllerConfig.TokenReview.ON).build())
                .hasMessageContaining("tokenReview ON needs a kubeconfig or inCluster");
    }

    @Test
    void aKubeconfigAndInClusterTogetherAreRefused() {
        assertThatThrownBy(() -> ControllerConfig.builder("east", "net-east", CA).inCluster(true)
                .kubeconfig(Path.of("/tmp/kubeconfig")).build())
                .hasMessageContaining("either a kubeconfig or inCluster");
    }

    @Test
    void inClusterOutsideAPodSaysWhatToDo() {
        // This test JVM runs in no pod: no KUBERNETES_SERVICE_HOST, no mounted token.
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("KUBERNETES_SERVICE_HOST") == null);
        assertThatThrownBy(() -> KubernetesClients.inCluster(Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not running in a Kubernetes pod").hasMessageContaining("--kubeconfig");
    }
}
