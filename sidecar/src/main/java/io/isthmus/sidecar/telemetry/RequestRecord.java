package io.isthmus.sidecar.telemetry;

import java.util.Objects;

/**
 * Everything reported about one finished HTTP request.
 *
 * @param direction {@code inbound} (reporter destination) or {@code outbound} (reporter source)
 * @param listener the listener name
 * @param method request method
 * @param authority Host or :authority
 * @param path request path with query
 * @param protocol {@code HTTP/1.1} or {@code HTTP/2}
 * @param status the status sent downstream (0 when none was sent)
 * @param flags Envoy response flags, {@code -} when none
 * @param route the route name, may be empty
 * @param cluster the upstream cluster, may be empty
 * @param upstreamHost the last endpoint tried, may be empty (also when the access log, its only reader, is off)
 * @param attempts upstream attempts made
 * @param requestBytes request body bytes received
 * @param responseBytes response body bytes sent
 * @param durationMillis from request start to last byte sent
 * @param requestId the {@code x-request-id}
 * @param traceparent the W3C trace context sent upstream
 * @param peerPrincipal the verified SPIFFE ID of the downstream (inbound) or upstream (outbound)
 *     peer, empty when not mutual TLS
 * @param downstreamAddress the client address (empty when the access log, its only reader, is off)
 * @param grpc true for gRPC requests ({@code content-type: application/grpc*})
 * @param downstreamPrincipal the verified SPIFFE ID of the caller (downstream mutual TLS peer), empty when none;
 *     at a gateway this is who made the call, while {@code peerPrincipal} of an outbound request is the upstream
 * @param upstreamCluster the mesh cluster of the workloads behind the last endpoint tried (its {@code istio} metadata),
 *     which an outbound request reports as {@code destination_cluster}; empty when not known
 * @param peer the peer as it described itself in the peer metadata exchange: the caller of an inbound request, the
 *     callee of an outbound one; {@link NodeIdentity#UNKNOWN} when it did not
 * @param inboundService the mesh service (host name) an inbound request was for, from its cluster's metadata; empty
 *     when not known, and for outbound requests
 */
public record RequestRecord(String direction, String listener, String method, String authority, String path,
                            String protocol, int status, String flags, String route, String cluster,
                            String upstreamHost, int attempts, long requestBytes, long responseBytes,
                            double durationMillis, String requestId, String traceparent, String peerPrincipal,
                            String downstreamAddress, boolean grpc, String downstreamPrincipal, String upstreamCluster,
                            NodeIdentity peer, String inboundService) {
    public RequestRecord {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(flags, "flags");
        Objects.requireNonNull(peerPrincipal, "peerPrincipal");
        Objects.requireNonNull(downstreamPrincipal, "downstreamPrincipal");
        Objects.requireNonNull(upstreamCluster, "upstreamCluster");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(inboundService, "inboundService");
    }
}
