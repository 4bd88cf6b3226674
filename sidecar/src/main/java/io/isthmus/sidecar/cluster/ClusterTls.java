package io.isthmus.sidecar.cluster;

import io.isthmus.sidecar.tls.MeshTls;
import io.isthmus.sidecar.tls.OriginationTls;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.ClientOptionsBase;
import java.util.Objects;
import java.util.Optional;

/**
 * The upstream TLS of clusters: mesh mTLS ({@link MeshTls}) or origination to servers outside the
 * mesh ({@link OriginationTls}), whichever a cluster's {@link UpstreamTls} asks for.
 *
 * @param mesh the workload certificate and trust bundle
 * @param origination TLS to external servers with named secrets
 */
public record ClusterTls(MeshTls mesh, OriginationTls origination) {

    public ClusterTls {
        Objects.requireNonNull(mesh, "mesh");
        Objects.requireNonNull(origination, "origination");
    }

    /**
     * Applies upstream TLS, if any, to HTTP client options.
     *
     * @param cluster the name of the cluster the client belongs to
     * @param tls the TLS of the client's connections (the cluster's own, or that of one of its socket matches)
     */
    public HttpClientOptions apply(HttpClientOptions options, String cluster, Optional<UpstreamTls> tls) {
        tls.ifPresent(t -> {
            if (t.origination().isPresent()) {
                origination.apply(options, cluster, t.origination().get());
            } else {
                mesh.applyUpstream(options, t.expectedPeers());
            }
        });
        return options;
    }

    /**
     * Applies upstream TLS, if any, to TCP client options. The peer is checked by the cluster's SAN rules, not
     * by host name (Vert.x refuses a TLS connect of a TCP client that names no host-name verification algorithm).
     *
     * @param cluster the name of the cluster the client belongs to
     * @param tls the TLS of the client's connections (the cluster's own, or that of one of its socket matches)
     */
    public ClientOptionsBase apply(ClientOptionsBase options, String cluster, Optional<UpstreamTls> tls) {
        tls.ifPresent(t -> {
            if (options instanceof io.vertx.core.net.NetClientOptions net) {
                net.setHostnameVerificationAlgorithm("");
            }
            if (t.origination().isPresent()) {
                origination.apply(options, cluster, t.origination().get());
            } else {
                mesh.applyUpstream(options, t.expectedPeers());
            }
        });
        return options;
    }
}
