package io.isthmus.controller.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.isthmus.controller.registry.ClusterService;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A Service's ClusterIPs become the cluster service's VIPs: single and dual stack, none for headless. */
class KubeServiceVipsTest {
    private static final KubeServiceAssembler ASSEMBLER = new KubeServiceAssembler("east", "net-east");
    private static final KubeServiceAssembler.Lookups NONE = new KubeServiceAssembler.Lookups(k -> null, k -> null, k -> null,
            k -> null);

    private static ClusterService assemble(String clusterIp, List<String> clusterIps) {
        Service svc = new ServiceBuilder().withNewMetadata().withNamespace("default").withName("reviews").endMetadata()
                .withNewSpec().withClusterIP(clusterIp).withClusterIPs(clusterIps).addNewPort().withName("http").withPort(9080)
                .endPort().endSpec().build();
        return ASSEMBLER.assemble(svc, List.of(), NONE);
    }

    @Test
    void clusterIpBecomesTheVip() {
        assertThat(assemble("10.96.1.10", null).vips()).containsExactly("10.96.1.10");
    }

    @Test
    void dualStackKeepsBothInTheServicesOrder() {
        assertThat(assemble("fd00:96::10", List.of("fd00:96::10", "10.96.1.10")).vips()).containsExactly("fd00:96::10", "10.96.1.10");
    }

    @Test
    void headlessAndUnallocatedServicesHaveNone() {
        assertThat(assemble("None", List.of("None")).vips()).isEmpty();
        assertThat(assemble(null, null).vips()).isEmpty();
        assertThat(assemble("", List.of()).vips()).isEmpty();
    }
}
