package io.isthmus.sidecar.tls;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import java.util.Optional;
import java.util.Set;

/**
 * Translates a {@code DownstreamTlsContext} into a {@link DownstreamTls}. Honoured: one
 * {@code tls_certificate_sds_secret_configs} entry ({@code default} or a named secret delivered over
 * ADS), a validation secret ({@code validation_context_sds_secret_config} or
 * {@code combined_validation_context}: {@code ROOTCA} or a named CA secret), SAN matchers only with
 * {@code ROOTCA}, {@code alpn_protocols} (h2, http/1.1), {@code require_client_certificate}.
 * {@code tls_params} is ignored (the engine's defaults: TLS 1.2 and 1.3).
 */
public final class DownstreamTlsTranslator {

    private static final Set<String> ALPN = Set.of("h2", "http/1.1", "http/1.0");

    private DownstreamTlsTranslator() {
    }

    /**
     * Translates a downstream TLS context.
     *
     * @throws UnsupportedFieldException naming the field (relative to the context) that cannot be honoured
     */
    public static DownstreamTls translate(DownstreamTlsContext d) throws UnsupportedFieldException {
        if (d.hasRequireSni() && d.getRequireSni().getValue()) {
            throw new UnsupportedFieldException("require_sni", "not supported");
        }
        if (d.hasSessionTicketKeys() || d.hasSessionTicketKeysSdsSecretConfig() || d.getOcspStaplePolicyValue() != 0
                || d.hasFullScanCertsOnSniMismatch()) {
            throw new UnsupportedFieldException("session_ticket_keys", "session ticket keys, OCSP stapling and SNI scan options are not supported");
        }
        CommonTlsContext ctx = d.getCommonTlsContext();
        String c = "common_tls_context.";
        if (ctx.getTlsCertificatesCount() > 0) {
            throw new UnsupportedFieldException(c + "tls_certificates", "inline certificates are not supported; use SDS");
        }
        if (ctx.hasTlsCertificateProviderInstance() || ctx.hasTlsCertificateCertificateProvider()
                || ctx.hasTlsCertificateCertificateProviderInstance() || ctx.hasCustomHandshaker()) {
            throw new UnsupportedFieldException(c + "tls_certificate_provider_instance", "certificate providers are not supported");
        }
        if (ctx.getTlsCertificateSdsSecretConfigsCount() > 1) {
            throw new UnsupportedFieldException(c + "tls_certificate_sds_secret_configs", "only one certificate per chain is supported");
        }
        String cert = XdsNames.WORKLOAD_SECRET;
        if (ctx.getTlsCertificateSdsSecretConfigsCount() == 1) {
            cert = sdsName(ctx.getTlsCertificateSdsSecretConfigs(0), c + "tls_certificate_sds_secret_configs[0]");
        }
        for (int i = 0; i < ctx.getAlpnProtocolsCount(); i++) {
            if (!ALPN.contains(ctx.getAlpnProtocols(i))) {
                throw new UnsupportedFieldException(c + "alpn_protocols[" + i + "]", "'" + ctx.getAlpnProtocols(i)
                        + "' is not supported; use h2, http/1.1");
            }
        }
        Optional<String> validation;
        CertificateValidationContext vc;
        switch (ctx.getValidationContextTypeCase()) {
            case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> {
                validation = Optional.of(sdsName(ctx.getValidationContextSdsSecretConfig(), c + "validation_context_sds_secret_config"));
                vc = CertificateValidationContext.getDefaultInstance();
            }
            case COMBINED_VALIDATION_CONTEXT -> {
                var combined = ctx.getCombinedValidationContext();
                validation = Optional.of(sdsName(combined.getValidationContextSdsSecretConfig(),
                        c + "combined_validation_context.validation_context_sds_secret_config"));
                vc = combined.getDefaultValidationContext();
            }
            case VALIDATION_CONTEXT -> {
                validation = Optional.of(XdsNames.ROOT_SECRET);
                vc = ctx.getValidationContext();
            }
            case VALIDATIONCONTEXTTYPE_NOT_SET -> {
                validation = Optional.empty();
                vc = CertificateValidationContext.getDefaultInstance();
            }
            default -> throw new UnsupportedFieldException(c + "validation_context", "validation context providers are not supported");
        }
        boolean mesh = validation.map(XdsNames.ROOT_SECRET::equals).orElse(false);
        if (mesh) {
            // the mesh path: SPIFFE identities of the trust domain, with optional SAN matchers
            TlsContextTranslator.expectedPeers(ctx.toBuilder().clearTlsCertificateSdsSecretConfigs().build());
        } else if (!vc.equals(CertificateValidationContext.getDefaultInstance())) {
            throw new UnsupportedFieldException(c + "combined_validation_context.default_validation_context",
                    "with a named CA secret only the secret's CAs are checked; SAN matchers, hashes and CRLs are not supported");
        }
        boolean require = d.hasRequireClientCertificate() && d.getRequireClientCertificate().getValue();
        if (require && validation.isEmpty()) {
            throw new UnsupportedFieldException("require_client_certificate", "needs a validation context to verify client certificates");
        }
        DownstreamTls.ClientCertificate clientCert = require ? DownstreamTls.ClientCertificate.REQUIRE
                : validation.isPresent() ? DownstreamTls.ClientCertificate.REQUEST : DownstreamTls.ClientCertificate.NONE;
        return new DownstreamTls(cert, validation, clientCert, ctx.getAlpnProtocolsList());
    }

    private static String sdsName(SdsSecretConfig sds, String field) throws UnsupportedFieldException {
        if (sds.getName().isEmpty()) {
            throw new UnsupportedFieldException(field + ".name", "must not be empty");
        }
        if (sds.hasSdsConfig() && !sds.getSdsConfig().hasAds() && !sds.getSdsConfig().hasSelf()
                && !sds.getSdsConfig().hasApiConfigSource()) {
            throw new UnsupportedFieldException(field + ".sds_config", "only ADS is supported");
        }
        return sds.getName();
    }
}
