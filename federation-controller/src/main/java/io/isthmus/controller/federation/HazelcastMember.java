package io.isthmus.controller.federation;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the embedded Hazelcast member that holds the federated registry: multicast and
 * auto-detection off, TCP-IP join with the explicit member list (or Hazelcast's Kubernetes
 * discovery of the replicas' Service), bound to one address, SLF4J
 * logging, no phone-home, and failure detection tuned so a dead replica is dropped within ~5 s.
 * Hazelcast's traffic is plaintext in the open-source edition: keep members on a trusted network.
 *
 * <p>With Kubernetes discovery, {@link #start} first reads the Service's endpoints itself: an API
 * server that cannot be reached or refuses the credentials is a {@link DiscoveryException} naming
 * the server, the Service and the reason (Hazelcast alone would retry, then fail with "Node failed
 * to start!", or start alone on a refused token); a Service with no ready endpoint is a warning and
 * the member starts alone, merging with the others once the Service lists them (the first replica
 * of a rollout is in that state). Each endpoint's port is the one the Service's EndpointSlice gives
 * (its port named {@code hazelcast}, or its only port), so replicas may use different ports.
 */
public final class HazelcastMember {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMember.class);

    private HazelcastMember() {
    }

    /** Hazelcast Kubernetes discovery cannot work: the message names the API server, the Service and why. */
    public static final class DiscoveryException extends RuntimeException {
        DiscoveryException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Starts a member (about a second); the caller shuts it down.
     *
     * @throws DiscoveryException with Kubernetes discovery, when the API server cannot be reached,
     *     refuses the credentials, or the member fails to start
     */
    public static HazelcastInstance start(HazelcastOptions options) {
        if (options.kubernetes().isEmpty()) {
            return Hazelcast.newHazelcastInstance(config(options));
        }
        HazelcastOptions.KubernetesJoin k = options.kubernetes().get();
        int ready = readyEndpoints(k);
        if (ready == 0) {
            LOG.warn("hazelcast kubernetes discovery [{}]: service {} has no ready endpoint yet; this member starts "
                    + "alone and merges with the others once the service lists them", options.clusterName(), k.service());
        } else {
            LOG.info("hazelcast kubernetes discovery [{}]: service {} has {} ready endpoint(s)", options.clusterName(),
                    k.service(), ready);
        }
        try {
            return Hazelcast.newHazelcastInstance(config(options));
        } catch (RuntimeException e) {
            throw new DiscoveryException("Hazelcast member " + options.address() + ":" + options.port()
                    + " did not start with Kubernetes discovery of service " + k.service() + " via "
                    + apiServerName(k) + ": " + rootMessage(e), e);
        }
    }

    /** Counts the Service's ready endpoints as Hazelcast will see them: EndpointSlices, else Endpoints. */
    static int readyEndpoints(HazelcastOptions.KubernetesJoin k) {
        HazelcastOptions.ApiServer api = k.apiServer().orElseGet(() -> inCluster(k));
        ConfigBuilder cb = new ConfigBuilder(io.fabric8.kubernetes.client.Config.empty()).withMasterUrl(api.url())
                .withOauthToken(api.token())
                .withCaCertData(Base64.getEncoder().encodeToString(api.caCertificatePem().getBytes(StandardCharsets.US_ASCII)))
                .withConnectionTimeout(5_000).withRequestTimeout(10_000).withRequestRetryBackoffLimit(0)
                .withNamespace(k.namespace());
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cb.build()).build()) {
            try {
                List<EndpointSlice> slices = client.discovery().v1().endpointSlices().inNamespace(k.namespace())
                        .withLabel("kubernetes.io/service-name", k.serviceName()).list().getItems();
                return (int) slices.stream().flatMap(sl -> sl.getEndpoints() == null ? java.util.stream.Stream.empty()
                                : sl.getEndpoints().stream())
                        .filter(e -> e.getConditions() != null && Boolean.TRUE.equals(e.getConditions().getReady()))
                        .mapToLong(e -> e.getAddresses() == null ? 0 : e.getAddresses().size()).sum();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
                Endpoints eps = client.endpoints().inNamespace(k.namespace()).withName(k.serviceName()).get();
                return eps == null || eps.getSubsets() == null ? 0 : eps.getSubsets().stream()
                        .mapToInt(sub -> sub.getAddresses() == null ? 0 : sub.getAddresses().size()).sum();
            }
        } catch (KubernetesClientException e) {
            String why = e.getCode() > 0 ? "HTTP " + e.getCode() + " " + (e.getStatus() != null
                    && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : rootMessage(e)) : rootMessage(e);
            throw new DiscoveryException("Hazelcast Kubernetes discovery of service " + k.service() + " via "
                    + apiServerName(k) + ": cannot read its endpoints: " + why, e);
        }
    }

    /** The API server as Hazelcast finds it from inside a pod: the service environment and the service account files. */
    private static HazelcastOptions.ApiServer inCluster(HazelcastOptions.KubernetesJoin k) {
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        String port = System.getenv().getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        String url = host == null || host.isBlank() ? "https://kubernetes.default.svc"
                : "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        java.nio.file.Path dir = java.nio.file.Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
        try {
            return new HazelcastOptions.ApiServer(url, java.nio.file.Files.readString(dir.resolve("token")).strip(),
                    java.nio.file.Files.readString(dir.resolve("ca.crt")));
        } catch (java.io.IOException | RuntimeException e) {
            throw new DiscoveryException("Hazelcast Kubernetes discovery of service " + k.service() + ": not in a pod "
                    + "(cannot read the service account's token and ca.crt in " + dir + ": " + rootMessage(e) + ")", e);
        }
    }

    private static String apiServerName(HazelcastOptions.KubernetesJoin k) {
        return k.apiServer().map(HazelcastOptions.ApiServer::url).orElse("the in-cluster API server");
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getClass().getSimpleName() + ": " + r.getMessage();
    }

    /** The member configuration for these options. */
    public static Config config(HazelcastOptions options) {
        Config c = new Config();
        c.setClusterName(options.clusterName());
        c.setInstanceName("isthmus-" + options.address() + "-" + options.port());
        c.setProperty("hazelcast.logging.type", "slf4j");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        c.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        c.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig net = c.getNetworkConfig();
        net.setPort(options.port());
        net.setPortAutoIncrement(false);
        net.setPublicAddress(options.address() + ":" + options.port());
        net.getInterfaces().setEnabled(true).addInterface(options.address());
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (options.kubernetes().isPresent()) {
            HazelcastOptions.KubernetesJoin k = options.kubernetes().get();
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("namespace", k.namespace())
                    .setProperty("service-name", k.serviceName());
            k.apiServer().ifPresent(api -> join.getKubernetesConfig()
                    .setProperty("kubernetes-master", api.url())
                    .setProperty("api-token", api.token())
                    .setProperty("ca-certificate", api.caCertificatePem()));
            LOG.info("hazelcast member [{}] {}:{} kubernetes discovery {}/{}", options.clusterName(), options.address(),
                    options.port(), k.namespace(), k.serviceName());
        } else {
            join.getTcpIpConfig().setEnabled(true);
            join.getTcpIpConfig().addMember(options.address() + ":" + options.port());
            options.members().forEach(m -> join.getTcpIpConfig().addMember(m));
            LOG.info("hazelcast member [{}] {}:{} members={}", options.clusterName(), options.address(), options.port(),
                    options.members());
        }
        return c;
    }
}
