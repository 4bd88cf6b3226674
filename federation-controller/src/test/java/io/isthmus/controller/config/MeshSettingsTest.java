package io.isthmus.controller.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The MeshConfig of the ConfigMap {@code istio}: what Isthmus honours, and a warning naming what it does not. */
class MeshSettingsTest {
    private static final ResourceRef REF = new ResourceRef(MeshSettings.KIND, "isthmus-system", MeshSettings.NAME);

    @Test
    void honouredFieldsAreReadAndTheOthersAreNamedInOneWarning() {
        MeshSettings m = MeshSettings.parseMesh(REF, """
                accessLogFile: /dev/stdout
                enableAutoMtls: false
                enablePrometheusMerge: true
                h2UpgradePolicy: UPGRADE
                connectTimeout: 2s
                defaultHttpRetryPolicy: {attempts: 3, retryOn: 'reset,503', perTryTimeout: 2s}
                localityLbSetting: {enabled: false}
                outboundTrafficPolicy: {mode: REGISTRY_ONLY}
                defaultConfig:
                  discoveryAddress: istiod.istio-system.svc:15012
                  gatewayTopology: {numTrustedProxies: 1, forwardClientCertDetails: SANITIZE}
                """);
        assertThat(m.h2UpgradePolicy()).isEqualTo(TrafficPolicy.H2UpgradePolicy.UPGRADE);
        assertThat(m.connectTimeout()).contains(Duration.ofSeconds(2));
        assertThat(m.defaultHttpRetryPolicy()).contains(new VirtualService.Retries(3, java.util.Optional.of(Duration.ofSeconds(2)),
                "reset,503"));
        assertThat(m.localityLbSetting()).hasValueSatisfying(l -> assertThat(l.enabled()).isFalse());
        assertThat(m.outboundTrafficPolicy()).contains(Sidecar.OutboundTrafficPolicy.REGISTRY_ONLY);
        assertThat(m.numTrustedProxies()).isEqualTo(1);
        assertThat(m.enableAutoMtls()).isFalse();
        assertThat(MeshSettings.parseMesh(REF, "{}").enableAutoMtls()).as("Istio's default").isTrue();
        assertThat(m.ignoredFields()).containsExactly("accessLogFile", "defaultConfig.discoveryAddress",
                "defaultConfig.gatewayTopology.forwardClientCertDetails", "enablePrometheusMerge");

        assertThat(ConfigChecks.crossCheck(new MeshConfig(List.of(m), "isthmus-system"))).containsExactly(
                "ConfigMap isthmus-system/istio: data.mesh: not supported by Isthmus, no effect: accessLogFile, "
                        + "defaultConfig.discoveryAddress, defaultConfig.gatewayTopology.forwardClientCertDetails, enablePrometheusMerge");
    }

    @Test
    void aFieldOfTheWrongTypeIsRefusedByName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MeshSettings.parseMesh(REF, "enableAutoMtls: sometimes\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("data.mesh.enableAutoMtls")
                .hasMessageContaining("must be true or false");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MeshSettings.parseMesh(REF,
                        "defaultHttpRetryPolicy: {attempts: 2, retryRemoteLocalities: true}\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("data.mesh.defaultHttpRetryPolicy");
    }

    @Test
    void onlyHonouredFieldsGiveNoWarning() {
        MeshSettings m = MeshSettings.parseMesh(REF, "outboundTrafficPolicy: {mode: ALLOW_ANY}\n");
        assertThat(m.ignoredFields()).isEmpty();
        assertThat(ConfigChecks.crossCheck(new MeshConfig(List.of(m), "isthmus-system"))).isEmpty();
    }
}
