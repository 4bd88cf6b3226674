package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.client.Config;
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
