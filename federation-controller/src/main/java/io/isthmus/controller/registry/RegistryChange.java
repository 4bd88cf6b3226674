package io.isthmus.controller.registry;

import java.util.Objects;
import java.util.Set;

/**
 * What changed in the registry in one notification; the xDS side pushes only what it touches.
 *
 * @param hostnames services added, changed or removed
 * @param gatewayNetworks networks whose east-west gateways changed (every cross-network EDS to them)
 * @param clusters clusters whose status changed
 */
public record RegistryChange(Set<String> hostnames, Set<String> gatewayNetworks, Set<String> clusters) {

    public RegistryChange {
        hostnames = Set.copyOf(Objects.requireNonNull(hostnames, "hostnames"));
        gatewayNetworks = Set.copyOf(Objects.requireNonNull(gatewayNetworks, "gatewayNetworks"));
        clusters = Set.copyOf(Objects.requireNonNull(clusters, "clusters"));
    }

    /** A change of services only. */
    public static RegistryChange services(Set<String> hostnames) {
        return new RegistryChange(hostnames, Set.of(), Set.of());
    }

    /** Whether nothing changed. */
    public boolean isEmpty() {
        return hostnames.isEmpty() && gatewayNetworks.isEmpty() && clusters.isEmpty();
    }
}
