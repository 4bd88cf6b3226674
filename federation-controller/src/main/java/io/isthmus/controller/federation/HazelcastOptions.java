package io.isthmus.controller.federation;

import java.util.List;
import java.util.Objects;

/**
 * How this controller's embedded Hazelcast member is set up.
 *
 * @param clusterName the Hazelcast cluster name; replicas with the same name and reachable members
 *     form one cluster (default {@code isthmus-<cluster>}, so controllers of different clusters never
 *     merge by accident)
 * @param address the address to bind and announce (default 127.0.0.1); never the wildcard
 * @param port the member port (default 5701)
 * @param members other members as {@code host:port}, each listed separately; empty = standalone
 */
public record HazelcastOptions(String clusterName, String address, int port, List<String> members) {

    public HazelcastOptions {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(address, "address");
        members = List.copyOf(Objects.requireNonNull(members, "members"));
        if (clusterName.isBlank() || address.isBlank()) {
            throw new IllegalArgumentException("clusterName and address must not be blank");
        }
        if (address.equals("0.0.0.0") || address.equals("::")) {
            throw new IllegalArgumentException("Hazelcast must bind a specific address, not " + address);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        for (String m : members) {
            int colon = m.lastIndexOf(':');
            if (colon <= 0 || m.substring(colon + 1).contains("-") || !m.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("member must be host:port (no port ranges), got " + m);
            }
        }
    }

    /** A standalone member of controller cluster {@code cluster} on 127.0.0.1:port. */
    public static HazelcastOptions standalone(String cluster, int port) {
        return new HazelcastOptions("isthmus-" + cluster, "127.0.0.1", port, List.of());
    }

    /** Parses {@code --hazelcast-members}: comma separated {@code host:port}, blank = none. */
    public static List<String> parseMembers(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
