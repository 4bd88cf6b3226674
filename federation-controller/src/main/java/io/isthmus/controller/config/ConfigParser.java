package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validates one generic Kubernetes resource into a {@link MeshResource}: the same rules for the
 * controller (resources read from API servers) and for {@code isthmus analyze} (files).
 */
public final class ConfigParser {

    /** API group of VirtualService, DestinationRule, ServiceEntry, Sidecar. */
    public static final String NETWORKING = "networking.istio.io";
    /** API group of PeerAuthentication and AuthorizationPolicy. */
    public static final String SECURITY = "security.istio.io";
    /** The API versions accepted: {@code v1}, and {@code v1beta1} whose fields are the same. */
    public static final List<String> VERSIONS = List.of("v1", "v1beta1");

    /** One supported kind and where it lives in the API. */
    public record Kind(String group, String kind, String plural) {
    }

    /** The supported kinds. */
    public static final List<Kind> KINDS = List.of(
            new Kind(NETWORKING, VirtualService.KIND, "virtualservices"),
            new Kind(NETWORKING, DestinationRule.KIND, "destinationrules"),
            new Kind(NETWORKING, ServiceEntry.KIND, "serviceentries"),
            new Kind(NETWORKING, Sidecar.KIND, "sidecars"),
            new Kind(NETWORKING, Gateway.KIND, "gateways"),
            new Kind(SECURITY, PeerAuthentication.KIND, "peerauthentications"),
            new Kind(SECURITY, AuthorizationPolicy.KIND, "authorizationpolicies"));

    private ConfigParser() {
    }

    /**
     * Whether this is a resource of a supported group (supported kind or not), a {@code v1} Secret
     * shaped like TLS credentials, or
     * the {@code v1} ConfigMap {@code istio} (mesh-wide MeshConfig).
     */
    public static boolean isMeshConfig(GenericKubernetesResource r) {
        String av = r.getApiVersion();
        return av != null && (av.startsWith(NETWORKING + "/") || av.startsWith(SECURITY + "/")
                || (av.equals("v1") && CredentialSecret.KIND.equals(r.getKind()) && credentialShaped(r))
                || (av.equals("v1") && MeshSettings.KIND.equals(r.getKind()) && r.getMetadata() != null
                        && MeshSettings.NAME.equals(r.getMetadata().getName())));
    }

    /** Whether a Secret looks like TLS credentials ({@link CredentialSecret#isCredential}); other Secrets are not ours. */
    private static boolean credentialShaped(GenericKubernetesResource r) {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (String part : List.of("data", "stringData")) {
            if (r.getAdditionalProperties().get(part) instanceof Map<?, ?> m) {
                m.keySet().forEach(k -> keys.add(String.valueOf(k)));
            }
        }
        return CredentialSecret.isCredential(String.valueOf(r.getAdditionalProperties().get("type")), keys);
    }

    /**
     * Validates a resource.
     *
     * @param r the resource
     * @param defaultNamespace the namespace when the resource names none (files)
     * @throws ConfigException naming the resource, the field and the reason
     */
    public static MeshResource parse(GenericKubernetesResource r, String defaultNamespace) {
        ObjectMeta meta = r.getMetadata();
        String name = meta == null || meta.getName() == null ? "" : meta.getName();
        String ns = meta == null || meta.getNamespace() == null ? defaultNamespace : meta.getNamespace();
        String kind = r.getKind() == null ? "" : r.getKind();
        ResourceRef ref = new ResourceRef(kind, ns, name);
        if (name.isEmpty()) {
            throw new ConfigException(ref, "metadata.name", "required");
        }
        String apiVersion = r.getApiVersion() == null ? "" : r.getApiVersion();
        int slash = apiVersion.indexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        if (kind.equals(CredentialSecret.KIND)) {
            if (!apiVersion.equals("v1")) {
                throw new ConfigException(ref, "apiVersion", "must be v1, got " + apiVersion);
            }
            return CredentialSecret.parse(ref, r);
        }
        if (kind.equals(MeshSettings.KIND)) {
            if (!apiVersion.equals("v1")) {
                throw new ConfigException(ref, "apiVersion", "must be v1, got " + apiVersion);
            }
            return MeshSettings.parse(ref, r);
        }
        Optional<Kind> k = KINDS.stream().filter(x -> x.kind().equals(kind)).findFirst();
        if (k.isEmpty()) {
            throw new ConfigException(ref, "kind", "unsupported kind " + kind + " (supported: "
                    + String.join(", ", KINDS.stream().map(Kind::kind).toList()) + ", " + CredentialSecret.KIND + ")");
        }
        if (!k.get().group().equals(group) || !VERSIONS.contains(version)) {
            throw new ConfigException(ref, "apiVersion", "must be " + k.get().group() + "/v1, got " + apiVersion);
        }
        Object spec = r.getAdditionalProperties().get("spec");
        if (spec != null && !(spec instanceof Map<?, ?>)) {
            throw new ConfigException(ref, "spec", "must be an object");
        }
        for (String top : r.getAdditionalProperties().keySet()) {
            if (!top.equals("spec") && !top.equals("status")) {
                throw new ConfigException(ref, top, "field not supported (supported: spec)");
            }
        }
        @SuppressWarnings("unchecked")
        Fields f = new Fields(ref, "spec", (Map<String, Object>) spec);
        return switch (kind) {
            case VirtualService.KIND -> VirtualService.parse(ref, f);
            case DestinationRule.KIND -> DestinationRule.parse(ref, f);
            case ServiceEntry.KIND -> ServiceEntry.parse(ref, f);
            case Sidecar.KIND -> Sidecar.parse(ref, f);
            case Gateway.KIND -> Gateway.parse(ref, f, meta == null || meta.getAnnotations() == null
                    ? Map.of() : meta.getAnnotations());
            case PeerAuthentication.KIND -> PeerAuthentication.parse(ref, f);
            case AuthorizationPolicy.KIND -> AuthorizationPolicy.parse(ref, f);
            default -> throw new IllegalStateException(kind);
        };
    }
}
