package io.isthmus.controller.federation;

/** A remote secret or kubeconfig that cannot be used; the message names the secret or cluster and why. */
public final class RemoteSecretException extends RuntimeException {

    private final String cluster;

    public RemoteSecretException(String cluster, String message, Throwable cause) {
        super("[" + cluster + "] " + message, cause);
        this.cluster = cluster;
    }

    public RemoteSecretException(String cluster, String message) {
        this(cluster, message, null);
    }

    /** The cluster (or secret) concerned. */
    public String cluster() {
        return cluster;
    }
}
