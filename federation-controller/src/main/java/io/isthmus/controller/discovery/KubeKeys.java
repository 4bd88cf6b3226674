package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Keys and small facts the informers of {@link KubernetesClusterDiscovery} index and compare by. */
final class KubeKeys {

    private KubeKeys() {
    }

    /** The pods ({@code ns/name}) a slice names as targets. */
    static List<String> podsOfSlice(EndpointSlice s) {
        if (s.getEndpoints() == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint e : s.getEndpoints()) {
            if (e.getTargetRef() != null && e.getTargetRef().getName() != null) {
                String ns = e.getTargetRef().getNamespace() == null ? s.getMetadata().getNamespace()
                        : e.getTargetRef().getNamespace();
                out.add(ns + "/" + e.getTargetRef().getName());
            }
        }
        return out;
    }

    /** What of a pod the registry uses: labels, service account, node, IP, whether a sidecar runs there. */
    static List<Object> podFacts(Pod p) {
        return java.util.Arrays.asList(labelsOf(p), p.getSpec() == null ? null : p.getSpec().getServiceAccountName(),
                p.getSpec() == null ? null : p.getSpec().getNodeName(), p.getStatus() == null ? null : p.getStatus().getPodIP(),
                KubeServiceAssembler.hasSidecar(p));
    }

    /** The labels of an object, never null. */
    static Map<String, String> labelsOf(HasMetadata o) {
        Map<String, String> l = o.getMetadata() == null ? null : o.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }

    /** {@code namespace/name}, the informer store key. */
    static String key(HasMetadata o) {
        return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    /** The store key of the Service a slice belongs to ({@code ns/} when it names none). */
    static String serviceKeyOfSlice(EndpointSlice s) {
        Map<String, String> l = s.getMetadata().getLabels();
        String svc = l == null ? null : l.get(KubeServiceAssembler.SERVICE_NAME_LABEL);
        return svc == null ? s.getMetadata().getNamespace() + "/" : s.getMetadata().getNamespace() + "/" + svc;
    }

    /** Whether the API server refused our credentials (401/403). */
    static boolean isRefused(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KubernetesClientException k && (k.getCode() == 401 || k.getCode() == 403)) {
                return true;
            }
        }
        return false;
    }

    /** A one-line reason for an informer error: the HTTP status, else the root cause. */
    static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof KubernetesClientException k && k.getCode() > 0) {
                return "HTTP " + k.getCode() + (k.getStatus() != null && k.getStatus().getMessage() != null
                        ? ": " + k.getStatus().getMessage() : "");
            }
        }
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
