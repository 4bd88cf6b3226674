package io.isthmus.e2e.driver.kind;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.isthmus.e2e.demo.ControlServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The driver's way into kind pods: one fabric8 port-forward per pod to its control port
 * ({@link ControlServer#PORT}, bound on all the pod's addresses by the demo app), kept open
 * and reopened once when a request over it fails. The forward ends on the pod's loopback, so it
 * reaches the control port (and would reach the app itself) but never the sidecar's inbound
 * listener on the pod IP: anything that must cross the mesh is made from inside the pod.
 * Not testable on the mock API server (it does not speak the port-forward protocol).
 */
final class PortForwards implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PortForwards.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    private final Map<String, LocalPortForward> open = new ConcurrentHashMap<>();

    /** GET {@code pathAndQuery} on the pod's control port; throws naming the pod when it fails. */
    String control(KubernetesClient client, KindPod pod, String pathAndQuery, Duration timeout) {
        try {
            return get(client, pod, pathAndQuery, timeout);
        } catch (IOException first) {
            // The forward may have died with its websocket (pod restarted, API server hiccup): once more on a new one.
            drop(pod);
            try {
                return get(client, pod, pathAndQuery, timeout);
            } catch (IOException e) {
                throw new IllegalStateException("pod " + pod + " unreachable on its control port by port-forward: "
                        + e.getMessage(), e);
            }
        }
    }

    private String get(KubernetesClient client, KindPod pod, String pathAndQuery, Duration timeout) throws IOException {
        LocalPortForward f = open.computeIfAbsent(key(pod), k -> {
            LocalPortForward pf = client.pods().inNamespace(pod.namespace()).withName(pod.name())
                    .portForward(ControlServer.PORT, InetAddress.getLoopbackAddress(), 0);
            LOG.debug("port-forward open [{}] 127.0.0.1:{} -> {}", pod, pf.getLocalPort(), ControlServer.PORT);
            return pf;
        });
        URI uri = URI.create("http://127.0.0.1:" + f.getLocalPort() + pathAndQuery);
        HttpResponse<String> r;
        try {
            r = HTTP.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("pod " + pod + " " + pathAndQuery + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    /**
     * The HTTP status of GET {@code path} on {@code port} of pod {@code p} through a port-forward of
     * its own (closed after the call), 0 when the pod cannot be reached.
     */
    static int status(KubernetesClient client, io.fabric8.kubernetes.api.model.Pod p, int port, String path) {
        try (LocalPortForward f = client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                .portForward(port, InetAddress.getLoopbackAddress(), 0)) {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.getLocalPort() + path))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | RuntimeException e) {
            LOG.debug("port-forward {}:{}{}: {}", p.getMetadata().getName(), port, path, e.getMessage());
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /**
     * Runs {@code use} on the local port of a port-forward of its own to {@code port} of pod
     * {@code p} (closed after the call); throws naming the pod when the forward cannot be opened.
     */
    static <T> T through(KubernetesClient client, io.fabric8.kubernetes.api.model.Pod p, int port, java.util.function.IntFunction<T> use) {
        try (LocalPortForward f = client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                .portForward(port, InetAddress.getLoopbackAddress(), 0)) {
            LOG.debug("port-forward open [{}] 127.0.0.1:{} -> {}", p.getMetadata().getName(), f.getLocalPort(), port);
            return use.apply(f.getLocalPort());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("port-forward to " + p.getMetadata().getName() + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Closes the forward of a pod (it died or was deleted). */
    void drop(KindPod pod) {
        LocalPortForward f = open.remove(key(pod));
        if (f != null) {
            closeQuietly(f);
        }
    }

    private static String key(KindPod pod) {
        return pod.cluster() + "/" + pod.namespace() + "/" + pod.name();
    }

    private static void closeQuietly(LocalPortForward f) {
        try {
            f.close();
        } catch (IOException e) {
            LOG.debug("port-forward close: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        open.values().forEach(PortForwards::closeQuietly);
        open.clear();
    }
}
