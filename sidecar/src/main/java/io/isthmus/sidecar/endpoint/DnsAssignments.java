package io.isthmus.sidecar.endpoint;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Expands the load assignment of a DNS cluster, whose endpoints name hosts, into one endpoint per
 * resolved address (same locality, priority, weight, health and transport socket labels as the named endpoint).
 */
public final class DnsAssignments {

    private DnsAssignments() {
    }

    /** The distinct host names of a template, in order. */
    public static Set<String> hosts(LoadAssignment template) {
        Set<String> out = new LinkedHashSet<>();
        template.endpoints().forEach(e -> out.add(e.address().host()));
        return out;
    }

    /**
     * The concrete assignment.
     *
     * @param template the endpoints as configured (host names or IP literals)
     * @param addresses the addresses in force per host; a host missing here contributes nothing
     * @param firstOnly LOGICAL_DNS: only the first address of the first host
     * @param states the live state to use for an address (kept from the previous assignment)
     */
    public static LoadAssignment expand(LoadAssignment template, Map<String, List<InetAddress>> addresses,
                                        boolean firstOnly, Function<EndpointAddress, EndpointState> states) {
        List<List<LoadAssignment.LocalityGroup>> priorities = new ArrayList<>();
        boolean taken = false;
        for (List<LoadAssignment.LocalityGroup> p : template.priorities()) {
            List<LoadAssignment.LocalityGroup> groups = new ArrayList<>();
            for (LoadAssignment.LocalityGroup g : p) {
                List<Endpoint> eps = new ArrayList<>();
                for (Endpoint e : g.endpoints()) {
                    for (InetAddress a : addresses.getOrDefault(e.address().host(), List.of())) {
                        if (firstOnly && taken) {
                            break;
                        }
                        EndpointAddress ea = new EndpointAddress(literal(a), e.address().port());
                        eps.add(new Endpoint(ea, e.locality(), e.priority(), e.weight(), e.healthy(), states.apply(ea),
                                e.socketMatch(), e.localitySocketMatch(), e.clusterId()));
                        taken = true;
                    }
                }
                groups.add(new LoadAssignment.LocalityGroup(g.locality(), g.weight(), eps));
            }
            priorities.add(groups);
        }
        return new LoadAssignment(template.clusterName(), priorities, template.overprovisioningFactor());
    }

    private static String literal(InetAddress a) {
        String s = a.getHostAddress();
        if (a instanceof Inet6Address) {
            int pct = s.indexOf('%');
            return pct >= 0 ? s.substring(0, pct) : s;
        }
        return s;
    }
}
