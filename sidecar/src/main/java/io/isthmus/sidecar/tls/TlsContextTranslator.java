package io.isthmus.sidecar.tls;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the parts of a {@code CommonTlsContext} the proxy honours: the workload certificate by SDS
 * name {@code default}, the trust bundle by SDS name {@code ROOTCA} (or none, which means the same
 * bundle), and the expected peer identities. Anything else is refused.
 */
public final class TlsContextTranslator {

    private TlsContextTranslator() {
    }

    /**
     * Validates a common TLS context and returns the peer identities it expects.
     *
     * @throws UnsupportedFieldException naming the field the proxy cannot honour
     */
    public static SanMatchers expectedPeers(CommonTlsContext ctx) throws UnsupportedFieldException {
        if (ctx.getTlsCertificatesCount() > 0) {
            throw new UnsupportedFieldException("tls_certificates", "inline certificates are not supported; use SDS 'default'");
        }
        for (int i = 0; i < ctx.getTlsCertificateSdsSecretConfigsCount(); i++) {
            SdsSecretConfig sds = ctx.getTlsCertificateSdsSecretConfigs(i);
            if (!XdsNames.WORKLOAD_SECRET.equals(sds.getName())) {
                throw new UnsupportedFieldException("tls_certificate_sds_secret_configs[" + i + "].name",
                        "only the workload secret '" + XdsNames.WORKLOAD_SECRET + "' is supported, got '" + sds.getName() + "'");
            }
        }
        if (ctx.hasTlsCertificateProviderInstance() || ctx.hasTlsCertificateCertificateProvider()
                || ctx.hasTlsCertificateCertificateProviderInstance() || ctx.hasCustomHandshaker()) {
            throw new UnsupportedFieldException("tls_certificate_provider_instance", "certificate providers are not supported");
        }
        CertificateValidationContext vc;
        switch (ctx.getValidationContextTypeCase()) {
            case VALIDATION_CONTEXT -> vc = ctx.getValidationContext();
            case VALIDATION_CONTEXT_SDS_SECRET_CONFIG -> {
                checkRoot(ctx.getValidationContextSdsSecretConfig(), "validation_context_sds_secret_config.name");
                vc = CertificateValidationContext.getDefaultInstance();
            }
            case COMBINED_VALIDATION_CONTEXT -> {
                var combined = ctx.getCombinedValidationContext();
                checkRoot(combined.getValidationContextSdsSecretConfig(),
                        "combined_validation_context.validation_context_sds_secret_config.name");
                vc = combined.getDefaultValidationContext();
            }
            case VALIDATIONCONTEXTTYPE_NOT_SET -> vc = CertificateValidationContext.getDefaultInstance();
            default -> throw new UnsupportedFieldException("validation_context", "validation context providers are not supported");
        }
        if (vc.hasTrustedCa() || vc.hasCaCertificateProviderInstance() || vc.hasSystemRootCerts()
                || vc.hasCustomValidatorConfig() || vc.getVerifyCertificateHashCount() > 0
                || vc.getVerifyCertificateSpkiCount() > 0 || vc.hasCrl() || vc.getAllowExpiredCertificate()) {
            throw new UnsupportedFieldException("validation_context",
                    "only match_typed_subject_alt_names / match_subject_alt_names are supported; roots come from SDS 'ROOTCA'");
        }
        List<SanMatchers.SanMatcher> out = new ArrayList<>();
        for (int i = 0; i < vc.getMatchTypedSubjectAltNamesCount(); i++) {
            SubjectAltNameMatcher m = vc.getMatchTypedSubjectAltNames(i);
            if (m.getSanType() != SubjectAltNameMatcher.SanType.URI) {
                throw new UnsupportedFieldException("validation_context.match_typed_subject_alt_names[" + i + "].san_type",
                        "only URI SANs (SPIFFE IDs) are supported");
            }
            out.add(matcher(m.getMatcher(), "validation_context.match_typed_subject_alt_names[" + i + "].matcher"));
        }
        for (int i = 0; i < vc.getMatchSubjectAltNamesCount(); i++) {
            out.add(matcher(vc.getMatchSubjectAltNames(i), "validation_context.match_subject_alt_names[" + i + "]"));
        }
        return new SanMatchers(out);
    }

    /** Translates a string matcher used for identities. */
    public static SanMatchers.SanMatcher matcher(StringMatcher m, String field) throws UnsupportedFieldException {
        if (m.getIgnoreCase()) {
            throw new UnsupportedFieldException(field + ".ignore_case", "case-insensitive identity matching is not supported");
        }
        return switch (m.getMatchPatternCase()) {
            case EXACT -> new SanMatchers.SanMatcher(SanMatchers.Kind.EXACT, m.getExact());
            case PREFIX -> new SanMatchers.SanMatcher(SanMatchers.Kind.PREFIX, m.getPrefix());
            case SUFFIX -> new SanMatchers.SanMatcher(SanMatchers.Kind.SUFFIX, m.getSuffix());
            case CONTAINS -> new SanMatchers.SanMatcher(SanMatchers.Kind.CONTAINS, m.getContains());
            case SAFE_REGEX -> {
                try {
                    yield new SanMatchers.SanMatcher(SanMatchers.Kind.REGEX, m.getSafeRegex().getRegex());
                } catch (RuntimeException e) {
                    throw new UnsupportedFieldException(field + ".safe_regex", "invalid regex: " + e.getMessage());
                }
            }
            default -> throw new UnsupportedFieldException(field, "matcher kind " + m.getMatchPatternCase() + " is not supported");
        };
    }

    private static void checkRoot(SdsSecretConfig sds, String field) throws UnsupportedFieldException {
        if (!XdsNames.ROOT_SECRET.equals(sds.getName())) {
            throw new UnsupportedFieldException(field, "only the trust bundle secret '" + XdsNames.ROOT_SECRET + "' is supported, got '"
                    + sds.getName() + "'");
        }
    }
}
