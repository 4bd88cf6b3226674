package io.isthmus.sidecar.filter;

import io.isthmus.mesh.PeerMetadataExchange;
import io.isthmus.sidecar.telemetry.NodeIdentity;
import io.isthmus.sidecar.telemetry.PeerMetadata;
import io.isthmus.sidecar.tls.SpiffeIdentity;
import io.vertx.core.MultiMap;

/**
 * Istio's peer metadata headers on the requests and responses of a chain with the exchange filter
 * ({@link PeerExchange}): taking a peer's off (and believing them only from a mesh peer of the namespace they claim)
 * and putting this proxy's on.
 */
final class PeerHeaders {

    private PeerHeaders() {
    }

    /**
     * Takes a peer's headers off {@code headers} (the app, or the next hop, does not get a peer's claims); returns the
     * peer they describe when {@code discovery} is on, else (or without headers) {@link NodeIdentity#UNKNOWN}.
     *
     * @param principal the peer's verified SPIFFE ID, empty when it is not a mutual TLS peer
     */
    static NodeIdentity take(MultiMap headers, boolean discovery, String principal) {
        String metadata = headers.get(PeerMetadataExchange.METADATA_HEADER);
        if (metadata == null && !headers.contains(PeerMetadataExchange.ID_HEADER)) {
            return NodeIdentity.UNKNOWN;
        }
        headers.remove(PeerMetadataExchange.METADATA_HEADER).remove(PeerMetadataExchange.ID_HEADER);
        return discovery ? claimed(metadata, principal) : NodeIdentity.UNKNOWN;
    }

    /**
     * The peer a metadata header describes, when it came over the mesh's mutual TLS from a SPIFFE ID of the namespace
     * it claims; else UNKNOWN (a claim is a label, but not one a workload may make for another namespace).
     */
    static NodeIdentity claimed(String metadata, String principal) {
        if (metadata == null || principal.isEmpty()) {
            return NodeIdentity.UNKNOWN;
        }
        return PeerMetadata.decode(metadata)
                .filter(n -> n.namespace().equals(SpiffeIdentity.namespace(principal)))
                .orElse(NodeIdentity.UNKNOWN);
    }

    /** Puts this proxy's headers on {@code headers}, replacing any. */
    static void tell(MultiMap headers, PeerMetadata own) {
        headers.set(PeerMetadataExchange.ID_HEADER, own.id()).set(PeerMetadataExchange.METADATA_HEADER, own.metadata());
    }
}
