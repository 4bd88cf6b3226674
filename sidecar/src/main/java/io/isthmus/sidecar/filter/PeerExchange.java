package io.isthmus.sidecar.filter;

/**
 * What a connection manager's peer metadata exchange filter ({@code istio.metadata_exchange}) does, by Istio's
 * headers ({@link io.isthmus.mesh.PeerMetadataExchange}). Headers are sent only to a peer of the mesh: over the
 * mesh's mutual TLS, to an upstream or from a downstream with a verified SPIFFE ID; a peer's headers are read only
 * from such a peer whose SPIFFE ID is in the namespace they claim, and removed from every request and response
 * the filter sees, so that neither apps nor servers outside the mesh get them.
 *
 * @param downstreamDiscovery learn the caller from the request's headers
 * @param downstreamPropagation tell the caller who answers, on the response
 * @param upstreamDiscovery learn the callee from the response's headers
 * @param upstreamPropagation tell the callee who calls, on the request
 */
public record PeerExchange(boolean downstreamDiscovery, boolean downstreamPropagation, boolean upstreamDiscovery,
                           boolean upstreamPropagation) {

    /** No exchange: the chain has no such filter. */
    public static final PeerExchange NONE = new PeerExchange(false, false, false, false);

    /** Whether the chain has the filter (and so removes the headers where it does not use them). */
    public boolean enabled() {
        return downstreamDiscovery || downstreamPropagation || upstreamDiscovery || upstreamPropagation;
    }
}
