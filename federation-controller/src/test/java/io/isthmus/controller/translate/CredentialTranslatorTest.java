package io.isthmus.controller.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.controller.config.CredentialSecret;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.ResourceRef;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which Kubernetes Secrets a router proxy gets as SDS credentials, and under which names. */
class CredentialTranslatorTest {
    private final CredentialTranslator credentials = new CredentialTranslator();

    private static CredentialSecret secret(String ns, String name, String cluster, String cert, String ca) {
        return new CredentialSecret(new ResourceRef("Secret", ns, name), cluster, cert, cert.isEmpty() ? "" : "KEY-" + name, ca);
    }

    @Test
    void ownNamespaceAndClusterOnlyWithSeparateCaSecretsAndClusterSecretsFirst() {
        MeshConfig cfg = new MeshConfig(List.of(
                secret("istio-system", "a", "", "CERT-file", ""),
                secret("istio-system", "a", "east", "CERT-east", ""),
                secret("istio-system", "a-cacert", "", "", "CA-separate"),
                secret("istio-system", "b", "east", "CERT-b", "CA-b"),
                secret("istio-system", "b-cacert", "east", "", "CA-ignored"),
                secret("istio-system", "w", "west", "CERT-west", ""),
                secret("default", "d", "east", "CERT-d", "")), "isthmus-system");
        ProxyView gw = GatewayTranslationTest.ingress("ingressgateway", null, null)
                .withPeerIdentity("spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway");
        TreeMap<String, Secret> out = credentials.forProxy(gw, cfg);
        assertThat(out).containsOnlyKeys("kubernetes://a", "kubernetes://a-cacert", "kubernetes://a-cacert-cacert",
                "kubernetes://b", "kubernetes://b-cacert", "kubernetes://b-cacert-cacert");
        assertThat(out.get("kubernetes://a").getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8())
                .isEqualTo("CERT-east");
        assertThat(out.get("kubernetes://a-cacert").getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8())
                .isEqualTo("CA-separate");
        assertThat(out.get("kubernetes://b-cacert").getValidationContext().getTrustedCa().getInlineBytes().toStringUtf8())
                .isEqualTo("CA-b");

        assertThat(credentials.forProxy(gw.withPeerIdentity("spiffe://cluster.local/ns/default/sa/x"), cfg)).isEmpty();
        assertThat(credentials.forProxy(gw.withPeerIdentity(""), cfg)).isEmpty();
        assertThat(credentials.forProxy(Fixtures.sidecar("10.1.0.5", "east", "net-east", Fixtures.EAST_A)
                .withPeerIdentity("spiffe://cluster.local/ns/default/sa/productpage"), cfg)).isEmpty();
    }
}
