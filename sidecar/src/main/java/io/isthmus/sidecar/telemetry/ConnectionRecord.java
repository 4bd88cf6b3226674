package io.isthmus.sidecar.telemetry;

import java.util.Objects;

/**
 * Everything reported about one finished TCP proxy connection.
 *
 * @param direction {@code inbound} (reporter destination) or {@code outbound} (reporter source)
 * @param listener the listener name
 * @param cluster the cluster the connection went to: the one picked for it among a {@code tcp_proxy}'s
 *     weighted clusters
 * @param upstreamHost the endpoint the bytes were relayed to; empty when none was reached (also when the
 *     access log, its only reader, is off)
 * @param flags Envoy response flags, {@code -} when none ({@code UH}: refused before any upstream; {@code UF}:
 *     every connect attempt failed)
 * @param peerPrincipal the verified SPIFFE ID of the downstream (inbound) or upstream (outbound) peer,
 *     empty when not mutual TLS
 * @param upstreamCluster the mesh cluster of the workloads behind the endpoint (its {@code istio}
 *     metadata), which an outbound connection reports as {@code destination_cluster}; empty when not known
 * @param receivedBytes bytes received from the downstream and relayed upstream
 * @param sentBytes bytes received from the upstream and sent downstream
 * @param durationMillis from the proxy taking the connection to its close
 * @param downstreamAddress the client address (empty when the access log, its only reader, is off)
 * @param inboundService the mesh service (host name) an inbound connection was for, from its cluster's metadata;
 *     empty when not known, and for outbound connections
 */
public record ConnectionRecord(String direction, String listener, String cluster, String upstreamHost, String flags,
                               String peerPrincipal, String upstreamCluster, long receivedBytes, long sentBytes,
                               double durationMillis, String downstreamAddress, String inboundService) {
    public ConnectionRecord {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(upstreamHost, "upstreamHost");
        Objects.requireNonNull(flags, "flags");
        Objects.requireNonNull(peerPrincipal, "peerPrincipal");
        Objects.requireNonNull(upstreamCluster, "upstreamCluster");
        Objects.requireNonNull(downstreamAddress, "downstreamAddress");
        Objects.requireNonNull(inboundService, "inboundService");
        if (receivedBytes < 0 || sentBytes < 0) {
            throw new IllegalArgumentException("byte counts must be >= 0");
        }
    }
}
