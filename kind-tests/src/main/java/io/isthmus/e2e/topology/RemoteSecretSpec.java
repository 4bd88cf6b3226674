package io.isthmus.e2e.topology;

/**
 * A remote secret: cluster {@code holder} holds a kubeconfig of cluster {@code of}'s API server in
 * its {@code isthmus-system} namespace, so {@code holder}'s controller watches {@code of}.
 *
 * @param holder the primary cluster holding the secret
 * @param of     the cluster the secret gives access to
 */
public record RemoteSecretSpec(String holder, String of) {

    public RemoteSecretSpec {
        Specs.requireName("remoteSecrets.holder", holder);
        Specs.requireName("remoteSecrets.of", of);
        if (holder.equals(of)) {
            throw new TopologyException("remoteSecrets[" + holder + "].of: a cluster does not hold a remote secret of itself");
        }
    }
}
