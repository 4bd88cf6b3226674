package io.isthmus.controller.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Istio's {@code networking.istio.io/v1} Sidecar, the supported subset: egress host scoping (which
 * services a proxy receives config for) and the outbound traffic policy.
 *
 * @param ref the resource
 * @param workloadSelector the pod labels it applies to; empty = every proxy of the namespace (or of
 *     the mesh when in the root namespace)
 * @param egress the egress listeners; empty = every host
 * @param outboundTrafficPolicy REGISTRY_ONLY or ALLOW_ANY; empty = the mesh-wide mode
 *     ({@link MeshSettings#outboundTrafficPolicy()})
 */
public record Sidecar(ResourceRef ref, Map<String, String> workloadSelector, List<Egress> egress,
                      Optional<OutboundTrafficPolicy> outboundTrafficPolicy) implements MeshResource {

    /** Kind name. */
    public static final String KIND = "Sidecar";

    public Sidecar {
        Objects.requireNonNull(ref, "ref");
        workloadSelector = Map.copyOf(workloadSelector);
        egress = List.copyOf(egress);
        Objects.requireNonNull(outboundTrafficPolicy, "outboundTrafficPolicy");
    }

    /** What happens to calls to hosts outside the registry. */
    public enum OutboundTrafficPolicy { ALLOW_ANY, REGISTRY_ONLY }

    /**
     * An egress listener.
     *
     * @param port the port it applies to, 0 = every port
     * @param hosts {@code namespace/host} patterns: namespace {@code *}, {@code .} (own namespace) or a
     *     name; host {@code *}, {@code *.suffix} or exact
     */
    public record Egress(int port, List<String> hosts) {
        public Egress {
            hosts = List.copyOf(hosts);
        }
    }

    /** Whether a proxy in {@code proxyNamespace} scoped by this Sidecar may see {@code host} of {@code hostNamespace}. */
    public boolean allows(String proxyNamespace, String hostNamespace, String host) {
        if (egress.isEmpty()) {
            return true;
        }
        for (Egress e : egress) {
            for (String h : e.hosts()) {
                int slash = h.indexOf('/');
                String ns = h.substring(0, slash);
                String pattern = h.substring(slash + 1);
                boolean nsOk = ns.equals("*") || (ns.equals(".") ? proxyNamespace.equals(hostNamespace) : ns.equals(hostNamespace));
                if (nsOk && Hosts.matches(pattern, host)) {
                    return true;
                }
            }
        }
        return false;
    }

    static Sidecar parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("workloadSelector", "egress", "outboundTrafficPolicy");
        Map<String, String> selector = Map.of();
        Fields ws = spec.obj("workloadSelector");
        if (ws != null) {
            ws.allowOnly("labels");
            selector = ws.stringMap("labels");
        }
        List<Egress> egress = spec.each("egress", e -> {
            e.allowOnly("port", "hosts");
            int port = 0;
            Fields p = e.obj("port");
            if (p != null) {
                p.allowOnly("number", "protocol", "name");
                port = p.integer("number", 0, 1, 65535);
            }
            List<String> hosts = e.strings("hosts");
            if (hosts.isEmpty()) {
                throw e.error("hosts", "at least one namespace/host is required");
            }
            for (int i = 0; i < hosts.size(); i++) {
                String h = hosts.get(i);
                int slash = h.indexOf('/');
                if (slash <= 0 || slash == h.length() - 1) {
                    throw e.error("hosts[" + i + "]", "must be namespace/host (e.g. ./*, istio-system/*, */reviews.default.svc.cluster.local), got " + h);
                }
                Hosts.check(e, "hosts[" + i + "]", h.substring(slash + 1));
            }
            return new Egress(port, hosts);
        });
        Optional<OutboundTrafficPolicy> otp = Optional.empty();
        Fields o = spec.obj("outboundTrafficPolicy");
        if (o != null) {
            o.allowOnly("mode");
            otp = Optional.of(o.enumValue("mode", OutboundTrafficPolicy.class, OutboundTrafficPolicy.ALLOW_ANY));
        }
        return new Sidecar(ref, selector, egress, otp);
    }
}
