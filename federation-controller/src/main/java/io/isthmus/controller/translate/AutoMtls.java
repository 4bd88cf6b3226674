package io.isthmus.controller.translate;

import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.PeerAuthentication;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import java.util.Map;

/**
 * Istio's auto mTLS: whether a proxy speaks the mesh's mTLS to a mesh service's port (or one subset of it) whose
 * DestinationRule says nothing about TLS. It does, unless MeshConfig {@code enableAutoMtls} is false, or the workloads
 * behind it take only plaintext: PeerAuthentication {@code DISABLE} is the effective mode of the port's target port on
 * every serving endpoint (or, with no endpoint, in the service's namespace). Workloads that disagree keep mTLS, which
 * STRICT and PERMISSIVE ones accept.
 */
final class AutoMtls {
    private AutoMtls() {
    }

    /**
     * Whether mesh mTLS is the default for a port of a mesh service.
     *
     * @param subset the labels of the subset the cluster selects, empty for the whole service
     */
    static boolean mtls(MeshConfig cfg, FederatedService s, ServicePort p, Map<String, String> subset) {
        if (!cfg.settings().enableAutoMtls()) {
            return false;
        }
        if (!anyDisable(cfg)) {
            return true;
        }
        int port = p.targetPort();
        boolean any = false;
        for (WorkloadEndpoint e : s.endpoints()) {
            if (!e.health().serving() || !e.matches(subset)) {
                continue;
            }
            any = true;
            if (cfg.mtlsModeFor(s.namespace(), e.labels(), port) != PeerAuthentication.Mode.DISABLE) {
                return true;
            }
        }
        // every serving endpoint takes only plaintext; with none, the namespace's (or the mesh's) policy says
        return !any && cfg.mtlsModeFor(s.namespace(), Map.of(), port) != PeerAuthentication.Mode.DISABLE;
    }

    /** Whether any PeerAuthentication says DISABLE, for itself or a port (most meshes have none: mTLS everywhere). */
    private static boolean anyDisable(MeshConfig cfg) {
        for (PeerAuthentication pa : cfg.all(PeerAuthentication.class)) {
            if (pa.mode() == PeerAuthentication.Mode.DISABLE || pa.portLevelMtls().containsValue(PeerAuthentication.Mode.DISABLE)) {
                return true;
            }
        }
        return false;
    }
}
