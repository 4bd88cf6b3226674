package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.mesh.XdsNames;

/**
 * SDS: the {@code ROOTCA} secret, the trust bundle (every root, PEM) that proxies verify peers
 * against. The {@code default} secret (a proxy's own key) is never produced here: each proxy gets
 * it locally from its CA client.
 */
public final class SecretTranslator {

    /**
     * The trust-bundle secret.
     *
     * @param bundlePem one or more PEM root certificates
     * @throws IllegalArgumentException when the bundle holds no certificate
     */
    public Secret rootCa(String bundlePem) {
        if (bundlePem == null || !bundlePem.contains("BEGIN CERTIFICATE")) {
            throw new IllegalArgumentException("trust bundle holds no PEM certificate");
        }
        return Secret.newBuilder()
                .setName(XdsNames.ROOT_SECRET)
                .setValidationContext(CertificateValidationContext.newBuilder()
                        .setTrustedCa(DataSource.newBuilder().setInlineString(bundlePem)))
                .build();
    }
}
