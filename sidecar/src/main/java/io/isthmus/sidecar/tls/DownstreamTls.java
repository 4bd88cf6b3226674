package io.isthmus.sidecar.tls;

import io.isthmus.mesh.XdsNames;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a filter chain terminates its clients' TLS: the certificate it presents (an SDS secret name),
 * how client certificates are treated, and the ALPN protocols it offers.
 *
 * @param certificateSecret the SDS secret of the server certificate: {@code default} (the workload's
 *     own) or a named secret such as {@code kubernetes://<credentialName>}
 * @param validationSecret the SDS secret clients' certificates are verified against: {@code ROOTCA}
 *     (the mesh's trust bundle, SPIFFE identities of the trust domain) or a named CA secret such as
 *     {@code kubernetes://<credentialName>-cacert}; empty when client certificates are not asked for
 * @param clientCertificate whether a client certificate is required, asked for, or not asked for
 * @param alpn ALPN protocols offered to clients, in preference order (empty: h2 and http/1.1 for HTTP)
 */
public record DownstreamTls(String certificateSecret, Optional<String> validationSecret, ClientCertificate clientCertificate,
                            List<String> alpn) {

    /** Whether a client certificate is asked for. */
    public enum ClientCertificate {
        /** Not asked for (SIMPLE). */
        NONE,
        /** Asked for and verified when presented. */
        REQUEST,
        /** Required and verified (MUTUAL, ISTIO_MUTUAL, STRICT). */
        REQUIRE
    }

    public DownstreamTls {
        Objects.requireNonNull(certificateSecret, "certificateSecret");
        Objects.requireNonNull(validationSecret, "validationSecret");
        Objects.requireNonNull(clientCertificate, "clientCertificate");
        alpn = List.copyOf(alpn);
        if (validationSecret.isEmpty() && clientCertificate != ClientCertificate.NONE) {
            throw new IllegalArgumentException("a client certificate needs a validation secret");
        }
    }

    /** True when this uses only the workload's own identity and the mesh trust bundle. */
    public boolean meshOnly() {
        return certificateSecret.equals(XdsNames.WORKLOAD_SECRET)
                && validationSecret.map(XdsNames.ROOT_SECRET::equals).orElse(true);
    }

    /** The SDS secret names this needs from the control plane (neither {@code default} nor {@code ROOTCA}). */
    public List<String> namedSecrets() {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        if (!certificateSecret.equals(XdsNames.WORKLOAD_SECRET)) {
            out.add(certificateSecret);
        }
        validationSecret.filter(v -> !v.equals(XdsNames.ROOT_SECRET)).ifPresent(out::add);
        return out;
    }
}
