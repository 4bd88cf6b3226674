package io.isthmus.sidecar.filter;

import io.isthmus.sidecar.cluster.UpstreamCluster;
import io.isthmus.sidecar.telemetry.PeerMetadata;
import io.isthmus.sidecar.endpoint.Endpoint;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.util.Set;

/**
 * How requests to an upstream endpoint are addressed (server address, and the TLS and SNI the
 * cluster uses for that endpoint), and the request mirror: a copy of a buffered request sent to
 * another cluster with its answer discarded (Envoy's {@code request_mirror_policies}).
 */
final class UpstreamRequests {

    private UpstreamRequests() {
    }

    /** The request options for one endpoint of a cluster. */
    static RequestOptions options(UpstreamCluster c, Endpoint ep, HttpMethod method, String uri) {
        String host = ep.address().host();
        RequestOptions o = new RequestOptions()
                .setMethod(method)
                .setServer(SocketAddress.inetSocketAddress(ep.address().port(), host))
                .setPort(ep.address().port())
                .setURI(uri);
        var tls = c.tlsFor(ep);
        if (tls.isPresent()) {
            String sni = tls.get().sni();
            o.setSsl(true).setHost(sni.isEmpty() ? host : sni);
        } else {
            o.setSsl(false).setHost(host);
        }
        return o;
    }

    /** Sends a copy of a buffered request to {@code mirror} with Host {@code <host>-shadow}; its answer is read and dropped. */
    /** Whether {@code endpoint} of {@code cluster} is reached over the mesh's mutual TLS (not plaintext, not TLS origination). */
    static boolean meshMtls(UpstreamCluster cluster, Endpoint endpoint) {
        var tls = cluster.tlsFor(endpoint);
        return tls.isPresent() && tls.get().origination().isEmpty();
    }

    /**
     * @param tell this proxy's peer metadata, for a mirror reached over the mesh's mutual TLS (upstream propagation
     *     of the peer metadata exchange, as on the request itself); {@link PeerMetadata#NONE} to tell nothing
     */
    static void mirror(UpstreamCluster mirror, HttpMethod method, String uri, MultiMap headers, String authority, Buffer body,
                       PeerMetadata tell) {
        Endpoint ep = mirror.choose(Set.of());
        if (ep == null) {
            return;
        }
        HostAndPort hp = HostAndPort.parseAuthority(authority, -1);
        HostAndPort shadow = hp == null ? HostAndPort.create("shadow", -1)
                : HostAndPort.create(hp.host() + "-shadow", hp.port());
        mirror.client(ep).request(options(mirror, ep, method, uri)).onSuccess(creq -> {
            creq.headers().addAll(headers);
            if (tell.present() && meshMtls(mirror, ep)) {
                PeerHeaders.tell(creq.headers(), tell);
            }
            mirror.onRequestSent(creq);
            creq.authority(shadow);
            creq.send(body).onSuccess(HttpClientResponse::body);
        });
    }
}
