package io.isthmus.e2e.net;

/**
 * The addresses (and, in network-namespace mode, the namespaces and bridges) of a local
 * federation: where each cluster's API server and controller listen, where each network's
 * east-west gateway is reached, and each pod's network. {@link NetworkSandbox} is the isolated
 * kind, {@link LoopbackNetwork} the unprivileged one.
 */
public interface FederationNetwork extends AutoCloseable {
    /** {@link NetworkMode#NETNS} or {@link NetworkMode#LOOPBACK}. */
    NetworkMode mode();

    /** The node address of a cluster (its API server and controller). */
    String nodeAddress(String cluster);

    /** The address other networks' proxies dial for {@code network}'s east-west gateway. */
    String gatewayPublicAddress(String network);

    /** A network for a new pod of {@code cluster} (on {@code network}). */
    PodNetwork addPod(String cluster, String network, String podName);

    /** A network for the east-west gateway of {@code network}; {@code addresses().get(1)} is its public address. */
    PodNetwork addGateway(String network);

    /** Gives back a pod's network once its pod is gone. */
    void remove(PodNetwork pod);

    /** One line saying what this network is, for the progress output. */
    String describe();

    /** Removes everything it made and releases its lock. */
    @Override
    void close();
}
