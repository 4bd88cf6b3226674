package io.isthmus.controller.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One consistent snapshot of every accepted config resource, with the lookups the translators need.
 * Resources are ordered by namespace and name, so "oldest wins" conflicts are resolved by name
 * instead (documented in {@code docs/config-support.md}).
 *
 * @param resources every accepted resource
 * @param rootNamespace the namespace whose Sidecar, PeerAuthentication and AuthorizationPolicy
 *     without selector apply mesh-wide ({@code isthmus-system})
 */
public record MeshConfig(List<MeshResource> resources, String rootNamespace) {

    /** No config. */
    public static MeshConfig empty(String rootNamespace) {
        return new MeshConfig(List.of(), rootNamespace);
    }

    public MeshConfig {
        List<MeshResource> sorted = new ArrayList<>(Objects.requireNonNull(resources, "resources"));
        sorted.sort(Comparator.comparing((MeshResource r) -> r.ref().kind()).thenComparing(r -> r.ref().namespace())
                .thenComparing(r -> r.ref().name()));
        resources = List.copyOf(sorted);
        Objects.requireNonNull(rootNamespace, "rootNamespace");
    }

    /** Every resource of one type. */
    public <T extends MeshResource> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The mesh-bound VirtualServices (gateways include {@code mesh}) for a host, in name order. */
    public List<VirtualService> virtualServicesFor(String host) {
        return all(VirtualService.class).stream()
                .filter(vs -> vs.gateways().contains("mesh"))
                .filter(vs -> vs.hosts().stream().anyMatch(h -> Hosts.matches(h, host))).toList();
    }

    /**
     * The DestinationRule for a host, seen from a proxy's namespace: one in the proxy's namespace wins,
     * then one in the host's namespace, then one in the root namespace, then one of any other
     * namespace (Istio exports DestinationRules to every namespace by default), by namespace and name;
     * exact hosts before wildcards.
     */
    public Optional<DestinationRule> destinationRuleFor(String host, String proxyNamespace) {
        List<DestinationRule> matching = all(DestinationRule.class).stream()
                .filter(dr -> Hosts.matches(dr.host(), host)).toList();
        String hostNs = host.split("\\.").length > 1 ? host.split("\\.")[1] : "";
        for (String ns : new String[] {proxyNamespace, hostNs, rootNamespace}) {
            Optional<DestinationRule> exact = matching.stream().filter(d -> d.ref().namespace().equals(ns))
                    .filter(d -> d.host().equals(host)).findFirst();
            if (exact.isPresent()) {
                return exact;
            }
            Optional<DestinationRule> wild = matching.stream().filter(d -> d.ref().namespace().equals(ns)).findFirst();
            if (wild.isPresent()) {
                return wild;
            }
        }
        return matching.stream().filter(d -> d.host().equals(host)).findFirst().or(() -> matching.stream().findFirst());
    }

    /** The Sidecar scoping a workload: one selecting its labels, else its namespace's default, else the root's. */
    public Optional<Sidecar> sidecarFor(String namespace, Map<String, String> labels) {
        List<Sidecar> all = all(Sidecar.class);
        return all.stream().filter(s -> s.ref().namespace().equals(namespace) && !s.workloadSelector().isEmpty()
                        && labels.entrySet().containsAll(s.workloadSelector().entrySet())).findFirst()
                .or(() -> all.stream().filter(s -> s.ref().namespace().equals(namespace) && s.workloadSelector().isEmpty())
                        .findFirst())
                .or(() -> all.stream().filter(s -> s.ref().namespace().equals(rootNamespace) && s.workloadSelector().isEmpty())
                        .findFirst());
    }

    /** The mesh-wide settings: the ConfigMap {@code istio} of the root namespace, else Istio's defaults. */
    public MeshSettings settings() {
        return all(MeshSettings.class).stream().filter(m -> m.isMeshWide(rootNamespace)).findFirst()
                .orElseGet(() -> MeshSettings.defaults(new ResourceRef(MeshSettings.KIND, rootNamespace, MeshSettings.NAME)));
    }

    /**
     * The outbound traffic policy of a workload: its {@link Sidecar}'s when that says one, else the
     * mesh-wide mode, else ALLOW_ANY.
     */
    public Sidecar.OutboundTrafficPolicy outboundTrafficPolicyFor(String namespace, Map<String, String> labels) {
        return sidecarFor(namespace, labels).flatMap(Sidecar::outboundTrafficPolicy)
                .or(() -> settings().outboundTrafficPolicy())
                .orElse(Sidecar.OutboundTrafficPolicy.ALLOW_ANY);
    }

    /**
     * The effective mTLS mode of a workload's port: workload policy, else namespace policy, else mesh
     * policy (root namespace), UNSET steps outward; STRICT when nothing says otherwise.
     */
    public PeerAuthentication.Mode mtlsModeFor(String namespace, Map<String, String> labels, int port) {
        List<PeerAuthentication> all = all(PeerAuthentication.class);
        List<PeerAuthentication> chain = new ArrayList<>();
        all.stream().filter(p -> p.ref().namespace().equals(namespace) && !p.selector().isEmpty()
                && labels.entrySet().containsAll(p.selector().entrySet())).findFirst().ifPresent(chain::add);
        all.stream().filter(p -> p.ref().namespace().equals(namespace) && p.selector().isEmpty()).findFirst()
                .ifPresent(chain::add);
        all.stream().filter(p -> p.ref().namespace().equals(rootNamespace) && p.selector().isEmpty()).findFirst()
                .ifPresent(chain::add);
        for (PeerAuthentication p : chain) {
            PeerAuthentication.Mode m = p.modeFor(port);
            if (m != PeerAuthentication.Mode.UNSET) {
                return m;
            }
        }
        return PeerAuthentication.Mode.STRICT;
    }

    /** The AuthorizationPolicies applying to a workload: its namespace's (selector matching or none) and the root's. */
    public List<AuthorizationPolicy> authorizationPoliciesFor(String namespace, Map<String, String> labels) {
        return all(AuthorizationPolicy.class).stream()
                .filter(p -> p.ref().namespace().equals(namespace) || p.ref().namespace().equals(rootNamespace))
                .filter(p -> labels.entrySet().containsAll(p.selector().entrySet())).toList();
    }
}
