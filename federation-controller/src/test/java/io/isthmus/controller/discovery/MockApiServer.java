package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * A cluster's API server for tests: the fabric8 mock server in CRUD mode over HTTPS, which keeps its
 * objects across {@link #stop()} and {@link #restart()} on the same port, and can demand a bearer
 * token (answering 401 otherwise).
 */
public final class MockApiServer implements AutoCloseable {

    private static final String ADMIN_TOKEN = "admin-token";

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private volatile java.util.Set<String> acceptedTokens;
    private KubernetesMockServer server;
    private KubernetesClient client;
    private int port;

    public MockApiServer() {
        start(0);
    }

    private synchronized void start(int p) {
        Dispatcher guarded = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                java.util.Set<String> want = acceptedTokens;
                String auth = request.getHeader("Authorization");
                if (want != null && !("Bearer " + ADMIN_TOKEN).equals(auth) && (auth == null || !auth.startsWith("Bearer ") || !want.contains(auth.substring(7)))) {
                    return new MockResponse().setResponseCode(401).setBody(
                            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                    + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
                }
                return crud.dispatch(request);
            }

            @Override
            public void shutdown() {
                crud.shutdown();
            }

            @Override
            public void releaseResources() {
                crud.releaseResources();
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), guarded, true);
        try {
            server.init(InetAddress.getLoopbackAddress(), p);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start mock API server on port " + p, e);
        }
        port = server.getPort();
        if (client == null) {
            client = KubernetesClients.fromKubeconfig(kubeconfig("admin", ADMIN_TOKEN), java.time.Duration.ofSeconds(10));
        }
    }

    /** A client with full access (a token always accepted), for seeding. */
    public KubernetesClient client() {
        return client;
    }

    /** The https URL of this server. */
    public String url() {
        return "https://127.0.0.1:" + port;
    }

    /** From now on, every request must carry {@code Authorization: Bearer <one of tokens>}; no tokens turns that off. */
    public void acceptTokens(String... tokens) {
        this.acceptedTokens = tokens.length == 0 ? null : java.util.Set.of(tokens);
    }

    /** A kubeconfig that reaches this server with a token (verification of the self-signed cert skipped). */
    public String kubeconfig(String clusterName, String token) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    server: %2$s
                    insecure-skip-tls-verify: true
                contexts:
                - name: %1$s
                  context:
                    cluster: %1$s
                    user: %1$s
                current-context: %1$s
                users:
                - name: %1$s
                  user:
                    token: %3$s
                """.formatted(clusterName, url(), token);
    }

    /**
     * Stops listening; objects are kept. The mock server waits 10 s for its Vert.x to close; on a loaded machine that
     * can run out while the close goes on, which is reported on stderr: the server stops answering either way, and
     * {@link #restart} waits for the port.
     */
    public synchronized void stop() {
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            System.err.println("MockApiServer on port " + port + ": " + e.getMessage() + " (" + e.getCause() + ")");
        }
    }

    /** Listens again on the same port with the same objects, once a slow {@link #stop} has let the port go (30 s at most). */
    public synchronized void restart() {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                start(port);
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    wait(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Closes the admin client and the server. The mock server gives its Vert.x HTTP server 10 s to close;
     * on a loaded machine that can run out after every assertion has passed, so a slow close is reported
     * on stderr (with its cause) rather than failing the test that used this server.
     */
    @Override
    public synchronized void close() {
        client.close();
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            System.err.println("MockApiServer on port " + port + ": " + e.getMessage() + " (" + e.getCause() + ")");
        }
    }
}
