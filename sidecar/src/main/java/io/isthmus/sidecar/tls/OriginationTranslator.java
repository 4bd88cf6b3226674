package io.isthmus.sidecar.tls;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import io.isthmus.trust.pem.Pem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Tells the two shapes of an upstream {@code CommonTlsContext} apart and reads the external one.
 * The mesh shape (Istio's ISTIO_MUTUAL: the workload certificate {@code default}, the trust bundle
 * {@code ROOTCA}, SPIFFE URI SAN matchers) is left to {@link TlsContextTranslator}. Anything else is
 * TLS origination to a server outside the mesh ({@link OriginationSpec}): trust from
 * {@code trusted_ca} (file or inline) or a named SDS secret, typed SAN matchers, an optional client
 * certificate by SDS name; no validation context at all (or {@code trust_chain_verification:
 * ACCEPT_UNTRUSTED}) means no verification, as in Envoy.
 */
public final class OriginationTranslator {

    private OriginationTranslator() {
    }

    /**
     * The origination a context asks for, or empty when it is the mesh shape.
     *
     * @throws UnsupportedFieldException naming the field the proxy cannot honour
     */
    public static Optional<OriginationSpec> translate(CommonTlsContext ctx) throws UnsupportedFieldException {
        if (isMesh(ctx)) {
            return Optional.empty();
        }
        if (ctx.getTlsCertificatesCount() > 0) {
            throw new UnsupportedFieldException("tls_certificates", "inline client certificates are not supported; use tls_certificate_sds_secret_configs");
        }
        if (ctx.getTlsCertificateSdsSecretConfigsCount() > 1) {
            throw new UnsupportedFieldException("tls_certificate_sds_secret_configs", "at most one client certificate is supported");
        }
        if (ctx.hasTlsCertificateProviderInstance() || ctx.hasTlsCertificateCertificateProvider()
                || ctx.hasTlsCertificateCertificateProviderInstance() || ctx.hasCustomHandshaker()) {
            throw new UnsupportedFieldException("tls_certificate_provider_instance", "certificate providers are not supported");
        }
        Optional<OriginationSpec.ClientCertificate> client = Optional.empty();
        if (ctx.getTlsCertificateSdsSecretConfigsCount() == 1) {
            client = Optional.of(new OriginationSpec.ClientCertificate(
                    secretName(ctx.getTlsCertificateSdsSecretConfigs(0), "tls_certificate_sds_secret_configs[0]")));
        }
        CertificateValidationContext vc;
        String sds = "";
        String vcField;
        switch (ctx.getValidationContextTypeCase()) {
            case VALIDATION_CONTEXT -> {
                vc = ctx.getValidationContext();
                vcField = "validation_context";
            }
            case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> {
                sds = secretName(ctx.getValidationContextSdsSecretConfig(), "validation_context_sds_secret_config");
                vc = CertificateValidationContext.getDefaultInstance();
                vcField = "validation_context";
            }
            case COMBINED_VALIDATION_CONTEXT -> {
                var combined = ctx.getCombinedValidationContext();
                sds = secretName(combined.getValidationContextSdsSecretConfig(),
                        "combined_validation_context.validation_context_sds_secret_config");
                vc = combined.getDefaultValidationContext();
                vcField = "combined_validation_context.default_validation_context";
            }
            case VALIDATIONCONTEXTTYPE_NOT_SET -> {
                vc = null;
                vcField = "";
            }
            default -> throw new UnsupportedFieldException("validation_context", "validation context providers are not supported");
        }
        if (vc == null) {
            return Optional.of(new OriginationSpec(new OriginationSpec.CaSource(OriginationSpec.CaSource.Kind.NONE, ""),
                    List.of(), client));
        }
        if (vc.hasCaCertificateProviderInstance() || vc.hasSystemRootCerts() || vc.hasCustomValidatorConfig()
                || vc.getVerifyCertificateHashCount() > 0 || vc.getVerifyCertificateSpkiCount() > 0 || vc.hasCrl()
                || vc.getAllowExpiredCertificate()) {
            throw new UnsupportedFieldException(vcField, "only trusted_ca, match_typed_subject_alt_names, match_subject_alt_names "
                    + "and trust_chain_verification are supported");
        }
        OriginationSpec.CaSource trust;
        if (vc.getTrustChainVerification() == CertificateValidationContext.TrustChainVerification.ACCEPT_UNTRUSTED) {
            trust = new OriginationSpec.CaSource(OriginationSpec.CaSource.Kind.NONE, "");
        } else if (vc.hasTrustedCa()) {
            if (!sds.isEmpty()) {
                throw new UnsupportedFieldException(vcField + ".trusted_ca", "give trusted_ca or a validation SDS secret, not both");
            }
            trust = caSource(vc.getTrustedCa(), vcField + ".trusted_ca");
        } else if (!sds.isEmpty()) {
            trust = new OriginationSpec.CaSource(OriginationSpec.CaSource.Kind.SDS, sds);
        } else {
            throw new UnsupportedFieldException(vcField + ".trusted_ca",
                    "TLS origination needs trusted_ca, a validation SDS secret, or trust_chain_verification ACCEPT_UNTRUSTED");
        }
        List<OriginationSpec.SanRule> sans = new ArrayList<>();
        for (int i = 0; i < vc.getMatchTypedSubjectAltNamesCount(); i++) {
            SubjectAltNameMatcher m = vc.getMatchTypedSubjectAltNames(i);
            String f = vcField + ".match_typed_subject_alt_names[" + i + "]";
            OriginationSpec.SanType type = switch (m.getSanType()) {
                case DNS -> OriginationSpec.SanType.DNS;
                case URI -> OriginationSpec.SanType.URI;
                case EMAIL -> OriginationSpec.SanType.EMAIL;
                case IP_ADDRESS -> OriginationSpec.SanType.IP_ADDRESS;
                default -> throw new UnsupportedFieldException(f + ".san_type", m.getSanType() + " is not supported");
            };
            sans.add(new OriginationSpec.SanRule(type, TlsContextTranslator.matcher(m.getMatcher(), f + ".matcher")));
        }
        for (int i = 0; i < vc.getMatchSubjectAltNamesCount(); i++) {
            sans.add(new OriginationSpec.SanRule(OriginationSpec.SanType.ANY, TlsContextTranslator.matcher(
                    vc.getMatchSubjectAltNames(i), vcField + ".match_subject_alt_names[" + i + "]")));
        }
        return Optional.of(new OriginationSpec(trust, sans, client));
    }

    /** True for the mesh shape: names {@code default} or {@code ROOTCA}, or only SPIFFE URI SAN matchers. */
    static boolean isMesh(CommonTlsContext ctx) {
        for (SdsSecretConfig s : ctx.getTlsCertificateSdsSecretConfigsList()) {
            if (XdsNames.WORKLOAD_SECRET.equals(s.getName())) {
                return true;
            }
        }
        switch (ctx.getValidationContextTypeCase()) {
            case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> {
                return XdsNames.ROOT_SECRET.equals(ctx.getValidationContextSdsSecretConfig().getName());
            }
            case COMBINED_VALIDATION_CONTEXT -> {
                return XdsNames.ROOT_SECRET.equals(ctx.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName());
            }
            case VALIDATION_CONTEXT -> {
                var vc = ctx.getValidationContext();
                boolean external = vc.hasTrustedCa() || vc.getTrustChainVerification()
                        == CertificateValidationContext.TrustChainVerification.ACCEPT_UNTRUSTED;
                for (var m : vc.getMatchTypedSubjectAltNamesList()) {
                    external |= m.getSanType() != SubjectAltNameMatcher.SanType.URI;
                }
                return !external && ctx.getTlsCertificateSdsSecretConfigsCount() == 0 && ctx.getTlsCertificatesCount() == 0;
            }
            default -> {
                // no validation context and no workload certificate: Envoy's plain TLS without verification
                // (a DestinationRule with insecureSkipVerify), not mesh mTLS
                return false;
            }
        }
    }

    private static String secretName(SdsSecretConfig s, String field) throws UnsupportedFieldException {
        if (s.getName().isEmpty()) {
            throw new UnsupportedFieldException(field + ".name", "must name a secret");
        }
        if (s.hasSdsConfig() && !s.getSdsConfig().hasAds() && !s.getSdsConfig().hasSelf()) {
            throw new UnsupportedFieldException(field + ".sds_config", "only ADS is supported");
        }
        return s.getName();
    }

    private static OriginationSpec.CaSource caSource(DataSource ds, String field) throws UnsupportedFieldException {
        String pem = switch (ds.getSpecifierCase()) {
            case FILENAME -> {
                if (ds.getFilename().isEmpty()) {
                    throw new UnsupportedFieldException(field + ".filename", "must not be empty");
                }
                yield null;
            }
            case INLINE_BYTES -> ds.getInlineBytes().toString(StandardCharsets.UTF_8);
            case INLINE_STRING -> ds.getInlineString();
            default -> throw new UnsupportedFieldException(field, "only filename, inline_bytes and inline_string are supported");
        };
        if (pem == null) {
            return new OriginationSpec.CaSource(OriginationSpec.CaSource.Kind.FILE, ds.getFilename());
        }
        try {
            Pem.readCertificates(pem, field);
        } catch (RuntimeException e) {
            throw new UnsupportedFieldException(field, "not PEM certificates: " + e.getMessage());
        }
        return new OriginationSpec.CaSource(OriginationSpec.CaSource.Kind.INLINE, pem);
    }
}
