package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Builds fabric8 clients from kubeconfigs, with the timeouts the federation wants. */
public final class KubernetesClients {

    private KubernetesClients() {
    }

    /**
     * A client from kubeconfig text (its current context).
     *
     * @param kubeconfig the kubeconfig YAML
     * @param timeout connect and request timeout; watches and lists retry with backoff up to 8 s
     * @throws IllegalArgumentException when the text is not a usable kubeconfig (the message says why)
     */
    public static KubernetesClient fromKubeconfig(String kubeconfig, Duration timeout) {
        Config config;
        try {
            config = Config.fromKubeconfig(kubeconfig);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a kubeconfig: " + rootMessage(e), e);
        }
        if (config.getMasterUrl() == null || config.getMasterUrl().isBlank()
                || config.getMasterUrl().startsWith("https://kubernetes.default.svc") && !kubeconfig.contains("kubernetes.default.svc")) {
            throw new IllegalArgumentException("not a kubeconfig: no server URL in its current context");
        }
        return client(config, timeout);
    }

    /** Where Kubernetes mounts a pod's service-account token. */
    public static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    /**
     * A client of the API server of the cluster this process runs in, as its pod's service account
     * ({@code KUBERNETES_SERVICE_HOST}/{@code _PORT} and the mounted token and CA; fabric8 re-reads the
     * token when the kubelet rotates it).
     *
     * @throws IllegalArgumentException when this process does not run in a pod with a service account
     */
    public static KubernetesClient inCluster(Duration timeout) {
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        if (host == null || host.isBlank() || !Files.isReadable(SERVICE_ACCOUNT_TOKEN)) {
            throw new IllegalArgumentException("not running in a Kubernetes pod with a service account (KUBERNETES_SERVICE_HOST "
                    + (host == null || host.isBlank() ? "unset" : "set") + ", " + SERVICE_ACCOUNT_TOKEN
                    + (Files.isReadable(SERVICE_ACCOUNT_TOKEN) ? " readable" : " missing") + "); give --kubeconfig instead");
        }
        return client(new ConfigBuilder().build(), timeout);
    }

    private static KubernetesClient client(Config config, Duration timeout) {
        int ms = (int) Math.max(1, timeout.toMillis());
        config.setConnectionTimeout(ms);
        config.setRequestTimeout(ms);
        // fabric8 backs off exponentially up to 32x this interval: 250 ms keeps reconnects within 8 s.
        config.setWatchReconnectInterval(Math.min(ms, 250));
        config.setWatchReconnectLimit(-1);
        config.setRequestRetryBackoffLimit(0);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** A client from a kubeconfig file. */
    public static KubernetesClient fromFile(Path kubeconfig, Duration timeout) throws IOException {
        return fromKubeconfig(Files.readString(kubeconfig), timeout);
    }

    static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
    }
}
