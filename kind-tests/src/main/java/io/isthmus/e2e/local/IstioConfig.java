package io.isthmus.e2e.local;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

/** Writes Istio config (VirtualService, DestinationRule, AuthorizationPolicy...) into a simulated cluster's API server. */
public final class IstioConfig {
    private IstioConfig() {
    }

    /** Creates or replaces the object described by {@code yaml} (one document). */
    public static void apply(KubernetesClient client, String yaml) {
        GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
        client.genericKubernetesResources(context(r)).inNamespace(r.getMetadata().getNamespace()).resource(r).createOr(
                io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
    }

    /** Deletes the object described by {@code yaml}. */
    public static void delete(KubernetesClient client, String yaml) {
        GenericKubernetesResource r = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
        client.genericKubernetesResources(context(r)).inNamespace(r.getMetadata().getNamespace())
                .withName(r.getMetadata().getName()).delete();
    }

    private static ResourceDefinitionContext context(GenericKubernetesResource r) {
        String[] gv = r.getApiVersion().split("/");
        String plural = switch (r.getKind()) {
            case "VirtualService" -> "virtualservices";
            case "DestinationRule" -> "destinationrules";
            case "AuthorizationPolicy" -> "authorizationpolicies";
            case "PeerAuthentication" -> "peerauthentications";
            case "ServiceEntry" -> "serviceentries";
            case "Gateway" -> "gateways";
            case "Sidecar" -> "sidecars";
            default -> throw new IllegalArgumentException("not an Istio kind Isthmus reads: " + r.getKind());
        };
        return new ResourceDefinitionContext.Builder().withGroup(gv[0]).withVersion(gv[1]).withKind(r.getKind())
                .withPlural(plural).withNamespaced(true).build();
    }
}
