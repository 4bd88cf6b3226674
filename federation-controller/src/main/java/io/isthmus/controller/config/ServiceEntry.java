package io.isthmus.controller.config;

import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Istio's {@code networking.istio.io/v1} ServiceEntry, the supported subset: hosts with ports,
 * location, STATIC resolution with IP endpoints, DNS resolution (the endpoints' or the hosts'
 * names resolved by the proxy) and NONE resolution (Istio's default: no endpoints, each connection
 * goes to the address the app connected to, through an ORIGINAL_DST cluster; useful to a proxy in
 * transparent capture). Endpoint weights, and endpoints with NONE, are rejected.
 *
 * @param ref the resource
 * @param hosts the hostnames it adds to the mesh
 * @param addresses virtual IPs or CIDRs, may be empty (IPs and single-address CIDRs are the
 *     service's VIPs: {@link #vips()})
 * @param ports the ports
 * @param location MESH_EXTERNAL (default) or MESH_INTERNAL
 * @param resolution NONE (the default), STATIC or DNS
 * @param endpoints the endpoints, IP addresses (STATIC) or host names or IPs (DNS; empty = the hosts)
 */
public record ServiceEntry(ResourceRef ref, List<String> hosts, List<String> addresses, List<Port> ports,
                           Location location, Resolution resolution, List<Endpoint> endpoints) implements MeshResource {

    /** Kind name. */
    public static final String KIND = "ServiceEntry";

    public ServiceEntry {
        Objects.requireNonNull(ref, "ref");
        hosts = List.copyOf(hosts);
        addresses = List.copyOf(addresses);
        ports = List.copyOf(ports);
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(resolution, "resolution");
        endpoints = List.copyOf(endpoints);
    }

    /**
     * The addresses that are single IPs, the service's VIPs in every cluster, as Istio's
     * {@code convertServices}: an IP as written, a CIDR of one address ({@code /32}, {@code /128})
     * as its IP; wider CIDRs are left out (Istio matches them only on TCP destinations, never as a
     * Host or a DNS answer).
     */
    public List<String> vips() {
        List<String> out = new java.util.ArrayList<>();
        for (String a : addresses) {
            int slash = a.indexOf('/');
            String ip = slash < 0 ? a : a.substring(0, slash);
            boolean single = slash < 0 || Integer.parseInt(a.substring(slash + 1)) == (ip.indexOf(':') >= 0 ? 128 : 32);
            if (single && !out.contains(ip)) {
                out.add(ip);
            }
        }
        return out;
    }

    /** Whether {@code s} is an IP literal or a CIDR {@code <ip>/<bits>} with bits within its family's length. */
    static boolean isAddressOrCidr(String s) {
        int slash = s.indexOf('/');
        String ip = slash < 0 ? s : s.substring(0, slash);
        if (!ClusterService.isIpLiteral(ip)) {
            return false;
        }
        if (slash < 0) {
            return true;
        }
        String bits = s.substring(slash + 1);
        return bits.matches("\\d{1,3}") && Integer.parseInt(bits) <= (ip.indexOf(':') >= 0 ? 128 : 32);
    }

    /** Where the service runs. */
    public enum Location { MESH_EXTERNAL, MESH_INTERNAL }

    /** How endpoints are found. */
    public enum Resolution { NONE, STATIC, DNS }

    /**
     * A port.
     *
     * @param number the port, 1..65535
     * @param protocol the protocol
     * @param name the port name
     * @param targetPort the endpoint port, 0 = same as number
     */
    public record Port(int number, Protocol protocol, String name, int targetPort) {
        public Port {
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(name, "name");
        }
    }

    /**
     * An endpoint.
     *
     * @param address IP (STATIC) or host name (DNS)
     * @param ports port name → endpoint port, may be empty
     * @param labels labels for subsets
     * @param network the network, empty = the proxy's own
     * @param locality {@code region/zone/subzone}, empty = unknown
     * @param weight load-balancing weight, 0 = unset
     */
    public record Endpoint(String address, Map<String, Integer> ports, Map<String, String> labels, String network,
                           String locality, int weight) {
        public Endpoint {
            Objects.requireNonNull(address, "address");
            ports = Map.copyOf(ports);
            labels = Map.copyOf(labels);
            Objects.requireNonNull(network, "network");
            Objects.requireNonNull(locality, "locality");
        }
    }

    static ServiceEntry parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("hosts", "addresses", "ports", "location", "resolution", "endpoints", "exportTo");
        List<String> hosts = spec.strings("hosts");
        if (hosts.isEmpty()) {
            throw spec.error("hosts", "at least one host is required");
        }
        for (int i = 0; i < hosts.size(); i++) {
            Hosts.check(spec, "hosts[" + i + "]", hosts.get(i));
        }
        List<String> addresses = spec.strings("addresses");
        for (int i = 0; i < addresses.size(); i++) {
            if (!isAddressOrCidr(addresses.get(i))) {
                throw spec.error("addresses[" + i + "]", "not an IP address or CIDR (10.0.0.1, 10.0.0.0/24,"
                        + " fd00::1, fd00::/64): " + addresses.get(i));
            }
        }
        List<Port> ports = spec.each("ports", p -> {
            p.allowOnly("number", "protocol", "name", "targetPort");
            int number = p.integer("number", 0, 1, 65535);
            if (number == 0) {
                throw p.error("number", "required");
            }
            String proto = p.str("protocol", "TCP");
            Protocol protocol = Protocol.parse(proto);
            if (protocol == Protocol.UNKNOWN) {
                throw p.error("protocol", "unsupported protocol " + proto
                        + " (HTTP, HTTP2, GRPC, HTTPS, TLS, TCP)");
            }
            return new Port(number, protocol, p.str("name", proto.toLowerCase(java.util.Locale.ROOT) + "-" + number),
                    p.integer("targetPort", 0, 1, 65535));
        });
        if (ports.isEmpty()) {
            throw spec.error("ports", "at least one port is required");
        }
        Location location = spec.enumValue("location", Location.class, Location.MESH_EXTERNAL);
        Resolution resolution = spec.enumValue("resolution", Resolution.class, Resolution.NONE);
        List<Endpoint> endpoints = spec.each("endpoints", e -> {
            e.allowOnly("address", "ports", "labels", "network", "locality", "weight");
            String address = e.requiredStr("address");
            if (resolution == Resolution.STATIC && !address.matches("[0-9a-fA-F:.]+")) {
                throw e.error("address", "STATIC resolution needs an IP address, got " + address);
            }
            if (resolution == Resolution.DNS && !address.matches("[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|[0-9a-fA-F:.]+")) {
                throw e.error("address", "DNS resolution needs a host name or IP address, got " + address);
            }
            Map<String, Integer> eports = new java.util.LinkedHashMap<>();
            Fields pf = e.obj("ports");
            if (pf != null) {
                for (String k : pf.stringKeys()) {
                    eports.put(k, pf.integer(k, 0, 1, 65535));
                }
            }
            int weight = e.integer("weight", 0, 0, Integer.MAX_VALUE);
            if (weight != 0) {
                throw e.error("weight", "endpoint weights are not supported (every endpoint weighs 1)");
            }
            return new Endpoint(address, eports, e.stringMap("labels"), e.str("network", ""), e.str("locality", ""),
                    weight);
        });
        if (resolution == Resolution.NONE && !endpoints.isEmpty()) {
            throw spec.error("endpoints", "resolution NONE (the default when unset) takes no endpoints: each connection"
                    + " goes to the address the app connected to; list endpoints with resolution STATIC or DNS");
        }
        if (resolution == Resolution.STATIC && endpoints.isEmpty()) {
            throw spec.error("endpoints", "STATIC resolution needs at least one endpoint");
        }
        if (resolution == Resolution.DNS && endpoints.isEmpty()) {
            for (int i = 0; i < hosts.size(); i++) {
                if (hosts.get(i).startsWith("*")) {
                    throw spec.error("hosts[" + i + "]", "DNS resolution without endpoints resolves each host, so"
                            + " hosts cannot be wildcards: " + hosts.get(i));
                }
            }
        }
        return new ServiceEntry(ref, hosts, addresses, ports, location, resolution, endpoints);
    }
}
