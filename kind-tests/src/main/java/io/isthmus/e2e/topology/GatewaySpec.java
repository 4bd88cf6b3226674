package io.isthmus.e2e.topology;

import java.util.List;
import java.util.Locale;

/**
 * An edge gateway a cluster runs: an ingress gateway (traffic from outside the mesh into it) or an
 * egress gateway (traffic from the mesh to external services). Either is a pod running
 * {@code isthmus proxy --mode router} with no app, in namespace {@code istio-system}, labelled
 * {@code istio: ingressgateway} / {@code istio: egressgateway} as Istio's own gateways are.
 *
 * @param kind  ingress or egress
 * @param zone  the zone of the node it runs on (a node of its cluster)
 * @param hosts for an ingress gateway, the names the outside world resolves to its address (the
 *              external client's {@code /etc/hosts}); empty for an egress gateway
 */
public record GatewaySpec(Kind kind, String zone, List<String> hosts) {
    /** The namespace every edge gateway runs in. */
    public static final String NAMESPACE = "istio-system";

    /** Which edge. */
    public enum Kind {
        /** Terminates client connections from outside and routes them into the mesh. */
        INGRESS,
        /** Takes mesh traffic for external hosts and originates it to them. */
        EGRESS;

        /** The value of the pod's {@code istio} label: {@code ingressgateway} or {@code egressgateway}. */
        public String istioLabel() {
            return name().toLowerCase(Locale.ROOT) + "gateway";
        }

        /** The workload, service and service account name: {@code istio-ingressgateway} / {@code istio-egressgateway}. */
        public String workloadName() {
            return "istio-" + istioLabel();
        }
    }

    public GatewaySpec {
        if (kind == null) {
            throw new TopologyException("gateways.kind: required (ingress or egress)");
        }
        String at = "gateways[" + kind.name().toLowerCase(Locale.ROOT) + "]";
        Specs.requireName(at + ".zone", zone);
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        for (String h : hosts) {
            Specs.requireName(at + ".hosts", h);
        }
        if (kind == Kind.EGRESS && !hosts.isEmpty()) {
            throw new TopologyException(at + ".hosts: only an ingress gateway has names outside clients resolve");
        }
    }
}
