package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.tls.OriginationSpec;
import io.isthmus.sidecar.tls.SanMatchers;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Upstream TLS of a cluster, from its {@code UpstreamTlsContext}: mesh mTLS (the workload
 * certificate, the trust bundle, SPIFFE identities) or origination to a server outside the mesh.
 *
 * @param sni the server name to send; empty sends none (or the endpoint host when it is a name)
 * @param expectedPeers the SPIFFE identities a mesh server may present (ignored for origination)
 * @param alpn protocols to offer, e.g. {@code [istio, h2, http/1.1]}
 * @param origination the external server's verification and client certificate; empty = mesh mTLS
 */
public record UpstreamTls(String sni, SanMatchers expectedPeers, List<String> alpn, Optional<OriginationSpec> origination) {
    public UpstreamTls {
        Objects.requireNonNull(sni, "sni");
        Objects.requireNonNull(expectedPeers, "expectedPeers");
        alpn = List.copyOf(alpn);
        Objects.requireNonNull(origination, "origination");
    }
}
