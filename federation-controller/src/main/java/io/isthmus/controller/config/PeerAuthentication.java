package io.isthmus.controller.config;

import java.util.Map;
import java.util.Objects;

/**
 * Istio's {@code security.istio.io/v1} PeerAuthentication: whether inbound traffic must be mTLS.
 *
 * @param ref the resource
 * @param selector the pod labels it applies to; empty = the whole namespace (mesh-wide in the root namespace)
 * @param mode the mode for every port (UNSET inherits from the wider policy)
 * @param portLevelMtls per container port overrides
 */
public record PeerAuthentication(ResourceRef ref, Map<String, String> selector, Mode mode, Map<Integer, Mode> portLevelMtls)
        implements MeshResource {

    /** Kind name. */
    public static final String KIND = "PeerAuthentication";

    /** mTLS mode. STRICT is the mesh default. */
    public enum Mode { UNSET, DISABLE, PERMISSIVE, STRICT }

    public PeerAuthentication {
        Objects.requireNonNull(ref, "ref");
        selector = Map.copyOf(selector);
        Objects.requireNonNull(mode, "mode");
        portLevelMtls = Map.copyOf(portLevelMtls);
    }

    /** The mode for one port (port-level override, else the policy's mode). */
    public Mode modeFor(int port) {
        return portLevelMtls.getOrDefault(port, mode);
    }

    static PeerAuthentication parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("selector", "mtls", "portLevelMtls");
        Map<String, String> selector = Map.of();
        Fields sel = spec.obj("selector");
        if (sel != null) {
            sel.allowOnly("matchLabels");
            selector = sel.stringMap("matchLabels");
        }
        Mode mode = Mode.UNSET;
        Fields mtls = spec.obj("mtls");
        if (mtls != null) {
            mtls.allowOnly("mode");
            mode = mtls.enumValue("mode", Mode.class, Mode.UNSET);
        }
        Map<Integer, Mode> ports = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Fields> e : spec.entries("portLevelMtls").entrySet()) {
            int port;
            try {
                port = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw spec.error("portLevelMtls." + e.getKey(), "key must be a port number");
            }
            if (port < 1 || port > 65535) {
                throw spec.error("portLevelMtls." + e.getKey(), "port must be 1..65535");
            }
            e.getValue().allowOnly("mode");
            ports.put(port, e.getValue().enumValue("mode", Mode.class, Mode.UNSET));
        }
        if (!ports.isEmpty() && selector.isEmpty()) {
            throw spec.error("portLevelMtls", "only allowed with a selector (as in Istio)");
        }
        return new PeerAuthentication(ref, selector, mode, ports);
    }
}
