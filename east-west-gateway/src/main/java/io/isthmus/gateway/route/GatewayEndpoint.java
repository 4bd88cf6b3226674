package io.isthmus.gateway.route;

import io.isthmus.mesh.Locality;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One local endpoint the gateway may pass a connection to: a pod's sidecar inbound address.
 *
 * @param address pod IP and target port; an IP literal, never resolved again
 * @param locality where the pod runs
 * @param priority 0 = most preferred, as the controller computed from the gateway's locality
 * @param weight load-balancing weight, >= 1
 */
public record GatewayEndpoint(InetSocketAddress address, Locality locality, int priority, int weight) {

    public GatewayEndpoint {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(locality, "locality");
        if (priority < 0) {
            throw new IllegalArgumentException("priority must be >= 0, got " + priority);
        }
        if (weight < 1) {
            throw new IllegalArgumentException("weight must be >= 1, got " + weight);
        }
    }

    /** An endpoint at priority 0, weight 1, unknown locality. */
    public static GatewayEndpoint of(InetSocketAddress address) {
        return new GatewayEndpoint(address, Locality.UNKNOWN, 0, 1);
    }

    @Override
    public String toString() {
        return address.getHostString() + ":" + address.getPort() + "[p" + priority + " " + locality + "]";
    }
}
