package io.isthmus.controller.cli;

import io.isthmus.controller.Controller;
import io.isthmus.controller.ControllerConfig;
import io.isthmus.controller.federation.HazelcastOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isthmus controller}: runs one federation controller until stopped. */
@Command(name = "controller", mixinStandardHelpOptions = true,
        description = "Runs the federation controller: discovery, xDS (15012 TLS, 15010 plaintext when given), CA, monitoring (15014).")
public final class ControllerCommand implements Callable<Integer> {

    @Option(names = "--cluster", required = true, description = "This cluster's name.")
    String cluster;

    @Option(names = "--network", required = true, description = "This cluster's network.")
    String network;

    @Option(names = "--kubeconfig", description = "Kubeconfig of this cluster's API server (omit to run without Kubernetes discovery).")
    Path kubeconfig;

    @Option(names = "--system-namespace", defaultValue = "isthmus-system", description = "Where remote secrets are watched (default ${DEFAULT-VALUE}).")
    String systemNamespace;

    @Option(names = "--ca-dir", required = true, description = "Istio cacerts directory: ca-cert.pem ca-key.pem root-cert.pem cert-chain.pem.")
    Path caDir;

    @Option(names = "--trust-domain", defaultValue = "cluster.local", description = "Trust domain (default ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(names = "--listen-address", defaultValue = "0.0.0.0", description = "Address of every port (default ${DEFAULT-VALUE}).")
    String listenAddress;

    @Option(names = "--secure-xds-port", defaultValue = "15012", description = "xDS and CA over TLS (default ${DEFAULT-VALUE}).")
    int secureXdsPort;

    @Option(names = "--plaintext-xds-port", description = "Plaintext xDS for local development (off unless given).")
    Integer plaintextXdsPort;

    @Option(names = "--monitoring-port", defaultValue = "15014", description = "Metrics and debug endpoints (default ${DEFAULT-VALUE}).")
    int monitoringPort;

    @Option(names = "--bootstrap-tokens", description = "File of '<token> <namespace>/<serviceaccount>' lines authenticating CSR callers; reloaded on change.")
    Path bootstrapTokens;

    @Option(names = "--in-cluster", description = "Reach this cluster's API server as the pod's own service account (a controller running as a Deployment) instead of --kubeconfig.")
    boolean inCluster;

    @Option(names = "--token-review", description = "Also authenticate CSR callers with Kubernetes TokenReview: this cluster's API server (--kubeconfig or --in-cluster), then each joined remote cluster's, through its remote secret.")
    boolean tokenReview;

    @Option(names = "--hazelcast-address", defaultValue = "127.0.0.1", description = "The only address the Hazelcast member binds (default ${DEFAULT-VALUE}).")
    String hazelcastAddress;

    @Option(names = "--hazelcast-port", defaultValue = "5701", description = "Hazelcast member port (default ${DEFAULT-VALUE}).")
    int hazelcastPort;

    @Option(names = "--hazelcast-members", defaultValue = "", description = "Other replicas, host:port,... (empty: standalone).")
    String hazelcastMembers;

    @Option(names = "--push-debounce", defaultValue = "100ms", converter = DurationConverter.class,
            description = "Quiet period before a push (default ${DEFAULT-VALUE}).")
    Duration pushDebounce;

    @Option(names = "--serving-host", split = ",", description = "Extra DNS names or IPs in the TLS port's certificate.")
    List<String> servingHosts = List.of();

    @Option(names = "--shared-state", defaultValue = "HAZELCAST",
            description = "Where the federated registry lives: HAZELCAST (embedded member, default) or IN_MEMORY (one replica only).")
    ControllerConfig.SharedState sharedState;

    @Option(names = "--registry-file", description = "Services, workload entries and gateways from a YAML file (docs/file-registry.md); re-read on change.")
    Path registryFile;

    @Option(names = "--config-dir", description = "Istio config (Gateway, VirtualService, DestinationRule, ServiceEntry, "
            + "PeerAuthentication, AuthorizationPolicy, Sidecar, ConfigMap istio, TLS Secrets) from the *.yaml, *.yml and *.json "
            + "files of a directory, merged with the API servers' (theirs win on the same resource); re-read on change.")
    Path configDir;

    @Option(names = "--hazelcast-kubernetes-service",
            description = "Find the other replicas through the Kubernetes API: the (headless) Service selecting them; instead of --hazelcast-members.")
    String hazelcastKubernetesService;

    @Option(names = "--hazelcast-kubernetes-namespace",
            description = "Namespace of --hazelcast-kubernetes-service (default: --system-namespace).")
    String hazelcastKubernetesNamespace;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ControllerCommand()).execute(args));
    }

    /** The configuration these flags describe. */
    public ControllerConfig config() {
        ControllerConfig.Builder b = ControllerConfig.builder(cluster, network, caDir)
                .kubeconfig(kubeconfig)
                .inCluster(inCluster)
                .systemNamespace(systemNamespace)
                .trustDomain(trustDomain)
                .listenAddress(listenAddress)
                .secureXdsPort(secureXdsPort)
                .monitoringPort(monitoringPort)
                .bootstrapTokens(bootstrapTokens)
                .tokenReview(tokenReview ? ControllerConfig.TokenReview.ON : ControllerConfig.TokenReview.OFF)
                .hazelcastAddress(hazelcastAddress)
                .hazelcastPort(hazelcastPort)
                .hazelcastMembers(HazelcastOptions.parseMembers(hazelcastMembers))
                .pushDebounce(pushDebounce)
                .servingHosts(servingHosts)
                .sharedState(sharedState)
                .registryFile(registryFile)
                .configDir(configDir);
        if (hazelcastKubernetesService != null) {
            b.hazelcastKubernetes(new HazelcastOptions.KubernetesJoin(
                    hazelcastKubernetesNamespace != null ? hazelcastKubernetesNamespace : systemNamespace,
                    hazelcastKubernetesService));
        } else if (hazelcastKubernetesNamespace != null) {
            throw new IllegalArgumentException("--hazelcast-kubernetes-namespace needs --hazelcast-kubernetes-service");
        }
        if (plaintextXdsPort != null) {
            b.plaintextXdsPort(plaintextXdsPort);
        }
        return b.build();
    }

    @Override
    public Integer call() throws Exception {
        ControllerConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("isthmus controller: " + e.getMessage());
            return 2;
        }
        Controller controller;
        try {
            controller = Controller.start(config);
        } catch (RuntimeException e) {
            System.err.println("isthmus controller: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.close();
            stopped.countDown();
        }, "controller-shutdown"));
        stopped.await();
        return 0;
    }
}
