package io.isthmus.controller.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Istio's {@code networking.istio.io/v1} DestinationRule, the supported subset: a traffic policy for
 * a host and its subsets selected by labels.
 *
 * @param ref the resource
 * @param host the destination host (qualified)
 * @param trafficPolicy the policy of the whole host
 * @param subsets the named subsets
 */
public record DestinationRule(ResourceRef ref, String host, TrafficPolicy trafficPolicy, List<Subset> subsets)
        implements MeshResource {

    /** Kind name. */
    public static final String KIND = "DestinationRule";

    public DestinationRule {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(trafficPolicy, "trafficPolicy");
        subsets = List.copyOf(subsets);
    }

    /**
     * A named subset.
     *
     * @param name the subset name (used in cluster names {@code outbound|port|name|host})
     * @param labels the endpoint labels that select it
     * @param trafficPolicy its own policy, overriding the host's field by field; empty = the host's
     */
    public record Subset(String name, Map<String, String> labels, Optional<TrafficPolicy> trafficPolicy) {
        public Subset {
            Objects.requireNonNull(name, "name");
            labels = Map.copyOf(labels);
            Objects.requireNonNull(trafficPolicy, "trafficPolicy");
        }
    }

    /** The subset with this name. */
    public Optional<Subset> subset(String name) {
        return subsets.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /**
     * The effective policy of a subset: the subset's settings where given, the host's otherwise;
     * the port-level settings of the subset when it has any, else the host's.
     */
    public TrafficPolicy policyFor(String subsetName) {
        Optional<TrafficPolicy> own = subset(subsetName).flatMap(Subset::trafficPolicy);
        if (own.isEmpty()) {
            return trafficPolicy;
        }
        TrafficPolicy s = own.get();
        return new TrafficPolicy(s.loadBalancer().or(trafficPolicy::loadBalancer),
                s.connectionPool().or(trafficPolicy::connectionPool),
                s.outlierDetection().or(trafficPolicy::outlierDetection), s.tls().or(trafficPolicy::tls),
                s.portLevelSettings().isEmpty() ? trafficPolicy.portLevelSettings() : s.portLevelSettings());
    }

    /**
     * The effective policy of a subset ({@code ""} for the whole host) on one port: the port-level
     * settings override the policy of {@link #policyFor(String)} field by field.
     */
    public TrafficPolicy policyFor(String subsetName, int port) {
        return policyFor(subsetName).forPort(port);
    }

    static DestinationRule parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("host", "trafficPolicy", "subsets", "exportTo");
        String host = Hosts.qualify(spec.requiredStr("host"), ref.namespace());
        Hosts.check(spec, "host", host);
        TrafficPolicy policy = TrafficPolicy.parse(spec.obj("trafficPolicy"));
        Set<String> names = new HashSet<>();
        List<Subset> subsets = spec.each("subsets", s -> {
            s.allowOnly("name", "labels", "trafficPolicy");
            String name = s.requiredStr("name");
            if (!name.matches("[a-zA-Z0-9]([-a-zA-Z0-9._]*[a-zA-Z0-9])?")) {
                throw s.error("name", "must be letters, digits, '-', '.' or '_': " + name);
            }
            if (!names.add(name)) {
                throw s.error("name", "duplicate subset " + name);
            }
            Map<String, String> labels = s.stringMap("labels");
            if (labels.isEmpty()) {
                throw s.error("labels", "a subset needs at least one label");
            }
            return new Subset(name, labels, Optional.ofNullable(s.obj("trafficPolicy")).map(TrafficPolicy::parse));
        });
        return new DestinationRule(ref, host, policy, subsets);
    }
}
