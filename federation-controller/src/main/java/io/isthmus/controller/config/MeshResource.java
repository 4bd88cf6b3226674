package io.isthmus.controller.config;

/** A validated config resource of the supported kinds. */
public sealed interface MeshResource permits VirtualService, DestinationRule, ServiceEntry, Sidecar,
        PeerAuthentication, AuthorizationPolicy, Gateway, CredentialSecret, MeshSettings {

    /** Which resource this is. */
    ResourceRef ref();
}
