package io.isthmus.controller.xds;

import java.util.Objects;

/**
 * The TLS material of the controller's secure gRPC port, PEM text.
 *
 * @param certChainPem the serving certificate followed by its intermediates
 * @param keyPem the serving key (PKCS#8 or SEC1)
 * @param trustedRootsPem the roots client certificates are verified against (the trust bundle)
 */
public record ServerTls(String certChainPem, String keyPem, String trustedRootsPem) {
    public ServerTls {
        Objects.requireNonNull(certChainPem, "certChainPem");
        Objects.requireNonNull(keyPem, "keyPem");
        Objects.requireNonNull(trustedRootsPem, "trustedRootsPem");
        if (!certChainPem.contains("BEGIN CERTIFICATE") || !trustedRootsPem.contains("BEGIN CERTIFICATE")) {
            throw new IllegalArgumentException("certChainPem and trustedRootsPem must hold PEM certificates");
        }
        if (!keyPem.contains("PRIVATE KEY")) {
            throw new IllegalArgumentException("keyPem must hold a PEM private key");
        }
    }

    @Override
    public String toString() {
        return "ServerTls[key hidden]";
    }
}
