package io.isthmus.controller.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One service as one cluster sees it: its ports, its ClusterIPs and its endpoints in that cluster.
 *
 * @param cluster the cluster name
 * @param namespace the service's namespace
 * @param name the service's name
 * @param hostname the mesh hostname, {@code <name>.<namespace>.svc.cluster.local} for Kubernetes services
 * @param ports the service ports, ordered as declared
 * @param labels the service's own labels
 * @param endpoints the instances in this cluster (every one of them carries {@code cluster})
 * @param vips the Service's ClusterIPs in this cluster ({@code spec.clusterIPs}, primary family
 *     first; IPv4 or IPv6 literals); empty for a headless Service ({@code None}) or one without
 *     a ClusterIP (Istio's {@code ClusterVIPs} entry of this cluster)
 */
public record ClusterService(String cluster, String namespace, String name, String hostname, List<ServicePort> ports,
                             Map<String, String> labels, List<WorkloadEndpoint> endpoints, List<String> vips) {

    public ClusterService {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostname, "hostname");
        if (cluster.isEmpty() || hostname.isEmpty()) {
            throw new IllegalArgumentException("cluster and hostname must not be empty");
        }
        ports = List.copyOf(Objects.requireNonNull(ports, "ports"));
        labels = Map.copyOf(Objects.requireNonNull(labels, "labels"));
        endpoints = List.copyOf(Objects.requireNonNull(endpoints, "endpoints"));
        for (WorkloadEndpoint e : endpoints) {
            if (!e.cluster().equals(cluster)) {
                throw new IllegalArgumentException("endpoint " + e.address() + " of cluster " + e.cluster()
                        + " in service " + hostname + " of cluster " + cluster);
            }
        }
        vips = List.copyOf(Objects.requireNonNull(vips, "vips"));
        for (String vip : vips) {
            if (!isIpLiteral(vip)) {
                throw new IllegalArgumentException("ClusterIP '" + vip + "' of service " + hostname + " in cluster " + cluster
                        + " is not an IP address");
            }
        }
    }

    /** A service without ClusterIPs (headless, or not a Kubernetes Service). */
    public ClusterService(String cluster, String namespace, String name, String hostname, List<ServicePort> ports,
                          Map<String, String> labels, List<WorkloadEndpoint> endpoints) {
        this(cluster, namespace, name, hostname, ports, labels, endpoints, List.of());
    }

    /** The same service with other endpoints. */
    public ClusterService withEndpoints(List<WorkloadEndpoint> newEndpoints) {
        return new ClusterService(cluster, namespace, name, hostname, ports, labels, newEndpoints, vips);
    }

    /** The same service with other ClusterIPs. */
    public ClusterService withVips(List<String> newVips) {
        return new ClusterService(cluster, namespace, name, hostname, ports, labels, endpoints, newVips);
    }

    /** Whether {@code s} is an IPv4 dotted quad or an IPv6 literal (no brackets, no zone), without resolving anything. */
    public static boolean isIpLiteral(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            return s.matches("[0-9A-Fa-f:.]+") && !s.contains(":::") && parses(s);
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (!p.matches("\\d{1,3}") || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    private static boolean parses(String literal) {
        try {
            // a literal with only hex digits, colons and dots is parsed without any lookup
            return java.net.InetAddress.getByName(literal) instanceof java.net.Inet6Address;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
