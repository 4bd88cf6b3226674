package io.isthmus.controller.registry;

import java.util.Objects;

/**
 * The east-west gateway through which other networks reach a network's endpoints.
 *
 * @param network the network it fronts
 * @param cluster the cluster whose API server announced it
 * @param address the address reachable from other networks ({@code status.loadBalancer.ingress[0].ip})
 * @param port the mTLS passthrough port (the service port named {@code tls}, normally 15443)
 */
public record NetworkGateway(String network, String cluster, String address, int port) {

    public NetworkGateway {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(address, "address");
        if (network.isEmpty() || address.isEmpty()) {
            throw new IllegalArgumentException("network and address must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
    }
}
