package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.tls.SanMatchers;
import java.util.List;
import java.util.Objects;

/**
 * Upstream mTLS of a cluster, from its {@code UpstreamTlsContext}.
 *
 * @param sni the server name to send; empty sends none
 * @param expectedPeers the SPIFFE identities the server may present
 * @param alpn protocols to offer, e.g. {@code [istio, h2, http/1.1]}
 */
public record UpstreamTls(String sni, SanMatchers expectedPeers, List<String> alpn) {
    public UpstreamTls {
        Objects.requireNonNull(sni, "sni");
        Objects.requireNonNull(expectedPeers, "expectedPeers");
        alpn = List.copyOf(alpn);
    }
}
