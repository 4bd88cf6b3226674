package io.isthmus.e2e.driver;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.e2e.local.IstioConfig;

import java.security.cert.X509Certificate;
import java.util.List;

/** One cluster of a {@link Federation}: its running demo pods, its API server and its Istio config. */
public interface MeshCluster {
    /** The cluster's name in the federation. */
    String name();

    /** The running (ready) pods of a service here. */
    List<? extends MeshPod> pods(String service);

    /** Every running demo pod here. */
    List<? extends MeshPod> pods();

    /** A client of its API server. */
    KubernetesClient client();

    /** Whether a controller runs in this cluster (a remote cluster of a primary has none). */
    boolean runsController();

    /**
     * Stops its API server (objects kept).
     *
     * @throws TargetUnsupportedException where the target cannot ({@link Capability#STOP_API_SERVER})
     */
    void stopApiServer();

    /** Starts its API server again after {@link #stopApiServer()}. */
    void restartApiServer();

    /**
     * The HTTP status of GET {@code path} (e.g. {@code /readyz}) on its controller's monitoring port
     * (15014), 0 when the controller cannot be reached.
     */
    int controllerStatus(String path);

    /**
     * The body of GET {@code pathAndQuery} (e.g. {@code /debug/syncz}) on its controller's monitoring
     * port (15014); throws naming the cluster and path when the controller cannot be reached or
     * does not answer 200.
     */
    String controllerGet(String pathAndQuery);

    /** The certificate chain its controller presents on its xDS/CA port (15012), leaf first; throws when it cannot be read. */
    List<X509Certificate> controllerServingChain();

    /** Creates or replaces the Istio config object of {@code yaml} (one document: VirtualService, AuthorizationPolicy...). */
    default void applyConfig(String yaml) {
        IstioConfig.apply(client(), yaml);
    }

    /** Deletes the Istio config object of {@code yaml}. */
    default void deleteConfig(String yaml) {
        IstioConfig.delete(client(), yaml);
    }
}
