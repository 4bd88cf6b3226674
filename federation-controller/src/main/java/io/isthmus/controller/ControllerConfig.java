package io.isthmus.controller;

import io.isthmus.controller.federation.HazelcastOptions;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.WellKnownPorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Everything a controller process needs to start, one field per command-line flag of
 * {@code isthmus controller}. Build with {@link #builder(String, String, Path)}.
 *
 * @param cluster this cluster's name ({@code --cluster})
 * @param network this cluster's default network ({@code --network})
 * @param kubeconfig this cluster's own API server ({@code --kubeconfig}); empty runs without
 *     Kubernetes discovery (the registry is then fed by other sources)
 * @param inCluster whether this cluster's API server is reached with the pod's own service account
 *     instead ({@code --in-cluster}: a controller running as a Deployment)
 * @param systemNamespace where remote secrets are watched ({@code --system-namespace}, default
 *     {@code isthmus-system})
 * @param caDir the Istio cacerts directory of this cluster's intermediate ({@code --ca-dir})
 * @param trustDomain the mesh trust domain ({@code --trust-domain}, default {@code cluster.local})
 * @param listenAddress the address the gRPC and monitoring ports bind ({@code --listen-address},
 *     default {@code 0.0.0.0})
 * @param secureXdsPort xDS and CA over TLS ({@code --secure-xds-port}, default 15012; 0 picks one)
 * @param plaintextXdsPort plaintext xDS ({@code --plaintext-xds-port}; off when empty)
 * @param monitoringPort metrics and debug endpoints ({@code --monitoring-port}, default 15014; 0
 *     picks one)
 * @param bootstrapTokens the bootstrap token file ({@code --bootstrap-tokens}), lines
 *     {@code <token> <namespace>/<serviceaccount>}; empty for none
 * @param tokenReview whether CSR callers' tokens are also checked with Kubernetes TokenReview
 *     against {@code kubeconfig} ({@code --token-review})
 * @param hazelcastAddress the only address the Hazelcast member binds ({@code --hazelcast-address},
 *     default 127.0.0.1)
 * @param hazelcastPort the Hazelcast member port ({@code --hazelcast-port}, default 5701)
 * @param hazelcastMembers other replicas, {@code host:port} each ({@code --hazelcast-members});
 *     empty for a standalone member
 * @param pushDebounce quiet period before a push ({@code --push-debounce}, default 100 ms)
 * @param servingHosts extra DNS names or IPs for the serving certificate of the TLS port, beside
 *     {@code isthmus-controller.<system-namespace>.svc} and the machine's own addresses
 *     ({@code --serving-host})
 * @param servingCertTtl lifetime of the serving certificate; renewed at half of it (default 24 h)
 * @param sharedState where the federated registry lives: a Hazelcast member (the default, also when
 *     standalone) or this JVM's memory only (single replica, tools and tests)
 * @param registryFile a file registry ({@code --registry-file}, format in {@code docs/file-registry.md}),
 *     polled once a second; its entries' cluster defaults to {@code cluster} without a kubeconfig, else
 *     to {@code <cluster>-file}; empty for none
 * @param hazelcastKubernetes find the other replicas through Hazelcast's Kubernetes discovery
 *     ({@code --hazelcast-kubernetes-service}, {@code --hazelcast-kubernetes-namespace}) instead of
 *     {@code hazelcastMembers}; empty for none
 * @param configDir a directory of Istio config files ({@code --config-dir}, {@code *.yaml},
 *     {@code *.yml}, {@code *.json}, several documents each), polled once a second and merged with
 *     the API servers' config (an API server's resource wins over a file's of the same kind,
 *     namespace and name); empty for none
 */
public record ControllerConfig(
        String cluster,
        String network,
        Optional<Path> kubeconfig,
        boolean inCluster,
        String systemNamespace,
        Path caDir,
        String trustDomain,
        String listenAddress,
        int secureXdsPort,
        OptionalInt plaintextXdsPort,
        int monitoringPort,
        Optional<Path> bootstrapTokens,
        TokenReview tokenReview,
        String hazelcastAddress,
        int hazelcastPort,
        List<String> hazelcastMembers,
        Duration pushDebounce,
        List<String> servingHosts,
        Duration servingCertTtl,
        SharedState sharedState,
        Optional<Path> registryFile,
        Optional<HazelcastOptions.KubernetesJoin> hazelcastKubernetes,
        Optional<Path> configDir) {

    /** Where the federated registry is kept. */
    public enum SharedState {
        /** An embedded Hazelcast member, joined to {@code hazelcastMembers} when given. */
        HAZELCAST,
        /** This JVM only: no Hazelcast member, every cluster owned by this replica. */
        IN_MEMORY
    }

    /** Whether tokens are checked with the API server's TokenReview. */
    public enum TokenReview {
        /** Only the bootstrap token file (and client certificates) authenticate CSR callers. */
        OFF,
        /** TokenReview too, against this cluster's API server. */
        ON
    }

    public ControllerConfig {
        requireText(cluster, "cluster");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        requireText(systemNamespace, "systemNamespace");
        Objects.requireNonNull(caDir, "caDir");
        requireText(trustDomain, "trustDomain");
        requireText(listenAddress, "listenAddress");
        port(secureXdsPort, "secureXdsPort");
        Objects.requireNonNull(plaintextXdsPort, "plaintextXdsPort");
        plaintextXdsPort.ifPresent(p -> port(p, "plaintextXdsPort"));
        port(monitoringPort, "monitoringPort");
        Objects.requireNonNull(bootstrapTokens, "bootstrapTokens");
        Objects.requireNonNull(tokenReview, "tokenReview");
        if (inCluster && kubeconfig.isPresent()) {
            throw new IllegalArgumentException("give either a kubeconfig or inCluster, not both");
        }
        if (tokenReview == TokenReview.ON && kubeconfig.isEmpty() && !inCluster) {
            throw new IllegalArgumentException("tokenReview ON needs a kubeconfig or inCluster");
        }
        requireText(hazelcastAddress, "hazelcastAddress");
        port(hazelcastPort, "hazelcastPort");
        hazelcastMembers = List.copyOf(hazelcastMembers);
        Objects.requireNonNull(pushDebounce, "pushDebounce");
        if (pushDebounce.isNegative()) {
            throw new IllegalArgumentException("pushDebounce must not be negative: " + pushDebounce);
        }
        servingHosts = List.copyOf(servingHosts);
        Objects.requireNonNull(servingCertTtl, "servingCertTtl");
        if (servingCertTtl.compareTo(Duration.ofMinutes(2)) < 0) {
            throw new IllegalArgumentException("servingCertTtl must be at least 2 minutes: " + servingCertTtl);
        }
        Objects.requireNonNull(sharedState, "sharedState");
        if (sharedState == SharedState.HAZELCAST && hazelcastPort == 0) {
            throw new IllegalArgumentException("hazelcastPort must be 1..65535 with a Hazelcast member");
        }
        Objects.requireNonNull(registryFile, "registryFile");
        Objects.requireNonNull(hazelcastKubernetes, "hazelcastKubernetes");
        Objects.requireNonNull(configDir, "configDir");
        if (hazelcastKubernetes.isPresent() && !hazelcastMembers.isEmpty()) {
            throw new IllegalArgumentException("give either hazelcastMembers or Hazelcast Kubernetes discovery, not both");
        }
    }

    /** The cluster name the registry file's entries get when the file names none. */
    public String registryFileCluster() {
        return kubernetes() ? cluster + "-file" : cluster;
    }

    /** Whether this controller reads its own cluster's API server (a kubeconfig or the pod's service account). */
    public boolean kubernetes() {
        return kubeconfig.isPresent() || inCluster;
    }

    /** The options of this controller's embedded Hazelcast member. */
    public HazelcastOptions hazelcastOptions() {
        return new HazelcastOptions("isthmus-" + cluster, hazelcastAddress, hazelcastPort, hazelcastMembers,
                hazelcastKubernetes);
    }

    /** A builder with every default of the command line. */
    public static Builder builder(String cluster, String network, Path caDir) {
        return new Builder(cluster, network, caDir);
    }

    /** The DNS name of the controller's TLS port inside its cluster. */
    public String serviceDnsName() {
        return "isthmus-controller." + systemNamespace + ".svc";
    }

    private static void requireText(String s, String name) {
        Objects.requireNonNull(s, name);
        if (s.isBlank()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
    }

    private static void port(int p, String name) {
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException(name + " must be 0..65535, got " + p);
        }
    }

    /** Builds a {@link ControllerConfig}; every setter has the command line's default. */
    public static final class Builder {
        private final String cluster;
        private final String network;
        private final Path caDir;
        private Optional<Path> kubeconfig = Optional.empty();
        private boolean inCluster;
        private String systemNamespace = MeshLabels.SYSTEM_NAMESPACE;
        private String trustDomain = "cluster.local";
        private String listenAddress = "0.0.0.0";
        private int secureXdsPort = WellKnownPorts.XDS_SECURE;
        private OptionalInt plaintextXdsPort = OptionalInt.empty();
        private int monitoringPort = WellKnownPorts.CONTROLLER_MONITORING;
        private Optional<Path> bootstrapTokens = Optional.empty();
        private TokenReview tokenReview = TokenReview.OFF;
        private String hazelcastAddress = "127.0.0.1";
        private int hazelcastPort = WellKnownPorts.HAZELCAST;
        private List<String> hazelcastMembers = List.of();
        private Duration pushDebounce = Duration.ofMillis(100);
        private List<String> servingHosts = List.of();
        private Duration servingCertTtl = Duration.ofHours(24);
        private SharedState sharedState = SharedState.HAZELCAST;
        private Optional<Path> registryFile = Optional.empty();
        private Optional<HazelcastOptions.KubernetesJoin> hazelcastKubernetes = Optional.empty();
        private Optional<Path> configDir = Optional.empty();

        private Builder(String cluster, String network, Path caDir) {
            this.cluster = cluster;
            this.network = network;
            this.caDir = caDir;
        }

        /** Whether to reach this cluster's own API server with the pod's service account ({@code --in-cluster}). */
        public Builder inCluster(boolean v) {
            inCluster = v;
            return this;
        }

        /** This cluster's own API server's kubeconfig, or null for none. */
        public Builder kubeconfig(Path v) {
            kubeconfig = Optional.ofNullable(v);
            return this;
        }

        public Builder systemNamespace(String v) {
            systemNamespace = v;
            return this;
        }

        public Builder trustDomain(String v) {
            trustDomain = v;
            return this;
        }

        public Builder listenAddress(String v) {
            listenAddress = v;
            return this;
        }

        public Builder secureXdsPort(int v) {
            secureXdsPort = v;
            return this;
        }

        public Builder plaintextXdsPort(int v) {
            plaintextXdsPort = OptionalInt.of(v);
            return this;
        }

        public Builder monitoringPort(int v) {
            monitoringPort = v;
            return this;
        }

        public Builder bootstrapTokens(Path v) {
            bootstrapTokens = Optional.ofNullable(v);
            return this;
        }

        public Builder tokenReview(TokenReview v) {
            tokenReview = v;
            return this;
        }

        public Builder hazelcastAddress(String v) {
            hazelcastAddress = v;
            return this;
        }

        public Builder hazelcastPort(int v) {
            hazelcastPort = v;
            return this;
        }

        public Builder hazelcastMembers(List<String> v) {
            hazelcastMembers = v;
            return this;
        }

        public Builder pushDebounce(Duration v) {
            pushDebounce = v;
            return this;
        }

        public Builder servingHosts(List<String> v) {
            servingHosts = v;
            return this;
        }

        public Builder servingCertTtl(Duration v) {
            servingCertTtl = v;
            return this;
        }

        public Builder sharedState(SharedState v) {
            sharedState = v;
            return this;
        }

        public Builder registryFile(Path v) {
            registryFile = Optional.ofNullable(v);
            return this;
        }

        public Builder hazelcastKubernetes(HazelcastOptions.KubernetesJoin v) {
            hazelcastKubernetes = Optional.ofNullable(v);
            return this;
        }

        public Builder configDir(Path v) {
            configDir = Optional.ofNullable(v);
            return this;
        }

        public ControllerConfig build() {
            return new ControllerConfig(cluster, network, kubeconfig, inCluster, systemNamespace, caDir, trustDomain, listenAddress,
                    secureXdsPort, plaintextXdsPort, monitoringPort, bootstrapTokens, tokenReview, hazelcastAddress,
                    hazelcastPort, hazelcastMembers, pushDebounce, servingHosts, servingCertTtl, sharedState, registryFile,
                    hazelcastKubernetes, configDir);
        }
    }
}
