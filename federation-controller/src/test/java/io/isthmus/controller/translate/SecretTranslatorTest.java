package io.isthmus.controller.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import org.junit.jupiter.api.Test;

class SecretTranslatorTest {
    private final SecretTranslator translator = new SecretTranslator();

    @Test
    void rootcaCarriesEveryRootOfTheBundle() {
        String bundle = "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n";
        Secret s = translator.rootCa(bundle);
        assertThat(s.getName()).isEqualTo("ROOTCA");
        assertThat(s.getValidationContext().getTrustedCa().getInlineString()).isEqualTo(bundle);
    }

    @Test
    void aBundleWithoutCertificatesIsRefused() {
        assertThatThrownBy(() -> translator.rootCa("nothing here")).hasMessageContaining("no PEM certificate");
    }
}
