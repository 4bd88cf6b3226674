package io.isthmus.e2e.local;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

/**
 * A simulated cluster's API server: the fabric8 mock server in CRUD mode over HTTPS, bound to
 * the cluster's node address, with the Istio config kinds Isthmus reads registered. Stopping and
 * starting it again keeps its objects (the store outlives the listener), as a real API server
 * restart keeps etcd.
 */
public final class ApiServer implements AutoCloseable {
    /** The port every simulated API server listens on (at its own node address). */
    public static final int PORT = 6443;
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    private static final List<CustomResourceDefinitionContext> ISTIO_KINDS = List.of(
            crd("networking.istio.io", "VirtualService", "virtualservices"),
            crd("networking.istio.io", "DestinationRule", "destinationrules"),
            crd("networking.istio.io", "ServiceEntry", "serviceentries"),
            crd("networking.istio.io", "Gateway", "gateways"),
            crd("security.istio.io", "PeerAuthentication", "peerauthentications"),
            crd("security.istio.io", "AuthorizationPolicy", "authorizationpolicies"));

    /** Held so the level sticks: the mock server logs every request at INFO through java.util.logging. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final String cluster;
    private final String address;
    private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher(ISTIO_KINDS);
    private KubernetesMockServer server;
    private KubernetesClient client;

    private ApiServer(String cluster, String address) {
        this.cluster = cluster;
        this.address = address;
    }

    /** Starts an API server for {@code cluster} on {@code address:6443}. */
    public static ApiServer start(String cluster, String address) {
        ApiServer a = new ApiServer(cluster, address);
        a.listen();
        return a;
    }

    private static CustomResourceDefinitionContext crd(String group, String kind, String plural) {
        return new CustomResourceDefinitionContext.Builder().withGroup(group).withVersion("v1").withKind(kind)
                .withPlural(plural).withScope("Namespaced").withName(plural + "." + group).build();
    }

    private synchronized void listen() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), store, true);
        try {
            server.init(InetAddress.getByName(address), PORT);
        } catch (IOException e) {
            throw new UncheckedIOException("API server of " + cluster + " cannot listen on " + address + ":" + PORT, e);
        }
        client = server.createClient();
        LOG.info("API server up [{}] https://{}:{}", cluster, address, PORT);
    }

    /** Stops listening (the objects stay). */
    public synchronized void stop() {
        if (server != null) {
            client.close();
            server.destroy();
            server = null;
            LOG.info("API server stopped [{}]", cluster);
        }
    }

    /** Listens again on the same address with the same objects. */
    public synchronized void restart() {
        if (server == null) {
            listen();
        }
    }

    /** A client of this API server (the runner's, playing kubelet and endpoint controller). */
    public synchronized KubernetesClient client() {
        if (client == null) {
            throw new IllegalStateException("API server of " + cluster + " is stopped");
        }
        return client;
    }

    /** The URL controllers use. */
    public String url() {
        return "https://" + address + ":" + PORT;
    }

    /** A kubeconfig for this API server, as a remote secret or a controller's {@code --kubeconfig} holds it. */
    public String kubeconfig() {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                    insecure-skip-tls-verify: true
                users:
                - name: isthmus-%1$s
                  user:
                    token: local-%1$s
                contexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: isthmus-%1$s
                    namespace: default
                current-context: %1$s
                """.formatted(cluster, url());
    }

    /** Writes {@link #kubeconfig()} to a file and returns it. */
    public Path writeKubeconfig(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, kubeconfig());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
