package io.isthmus.e2e.driver.kind;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * How the kind driver reaches the clusters.
 *
 * @param contexts     kubeconfig contexts, one per cluster ({@code kind-east}, {@code kind-west}); at least one
 * @param kubeconfig   the kubeconfig file holding them ({@code $KUBECONFIG} or {@code ~/.kube/config})
 * @param apiServers   cluster name → API server URL written into remote secrets (reachable from the
 *                     other clusters' controllers, e.g. {@code https://172.18.0.3:6443}); a cluster
 *                     missing here gets its control-plane node's InternalIP on port 6443
 * @param readyTimeout how long to wait for pods, controllers and gateways to become ready (default 180 s)
 * @param topology     the topology file up.sh installed ({@code topology-configs/...yaml}): which clusters
 *                     there are, which are primaries running a controller and which are remote; empty
 *                     when not given (then {@link #DEFAULT_TOPOLOGY}, and a cluster runs a controller
 *                     when its Deployment exists)
 */
public record KindOptions(List<String> contexts, Path kubeconfig, Map<String, String> apiServers, Duration readyTimeout,
                          Optional<Path> topology) {
    /** The topology up.sh installs by default. */
    public static final String DEFAULT_TOPOLOGY = "two-clusters-multi-network.yaml";
    /** System property naming the contexts, comma-separated. */
    public static final String CONTEXTS = "isthmus.e2e.kind.contexts";
    /** System property naming the kubeconfig file. */
    public static final String KUBECONFIG = "isthmus.e2e.kind.kubeconfig";
    /** System property with {@code cluster=url,...} of the API servers for remote secrets. */
    public static final String SERVERS = "isthmus.e2e.kind.servers";
    /** System property with the ready timeout in seconds. */
    public static final String READY_SECONDS = "isthmus.e2e.kind.readySeconds";
    /** System property with the topology file up.sh installed. */
    public static final String TOPOLOGY = "isthmus.e2e.kind.topology";

    public KindOptions {
        contexts = List.copyOf(Objects.requireNonNull(contexts, "contexts"));
        Objects.requireNonNull(kubeconfig, "kubeconfig");
        apiServers = Map.copyOf(Objects.requireNonNull(apiServers, "apiServers"));
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(topology, "topology");
        if (contexts.isEmpty()) {
            throw new IllegalArgumentException("contexts: at least one kubeconfig context is needed (-D" + CONTEXTS + "=kind-east,kind-west)");
        }
        if (readyTimeout.isNegative() || readyTimeout.isZero()) {
            throw new IllegalArgumentException("readyTimeout: must be positive");
        }
    }

    /** Options without a topology file (the default topology, controllers found by their Deployments). */
    public KindOptions(List<String> contexts, Path kubeconfig, Map<String, String> apiServers, Duration readyTimeout) {
        this(contexts, kubeconfig, apiServers, readyTimeout, Optional.empty());
    }

    /** The topology's file name: the given file's, or {@link #DEFAULT_TOPOLOGY}. */
    public String topologyName() {
        return topology.map(p -> p.getFileName().toString()).orElse(DEFAULT_TOPOLOGY);
    }

    /**
     * The options from system properties ({@code property}) and the environment ({@code env}, for
     * {@code KUBECONFIG} and {@code HOME}); throws naming the property that is missing or wrong.
     */
    public static KindOptions from(UnaryOperator<String> property, UnaryOperator<String> env) {
        String ctx = property.apply(CONTEXTS);
        if (ctx == null || ctx.isBlank()) {
            throw new IllegalArgumentException("-D" + CONTEXTS + " is not set: name the kind clusters' kubeconfig contexts "
                    + "(kind-tests/kind/test.sh sets it)");
        }
        List<String> contexts = List.of(ctx.trim().split("\\s*,\\s*"));
        String file = property.apply(KUBECONFIG);
        if (file == null || file.isBlank()) {
            String k = env.apply("KUBECONFIG");
            file = k != null && !k.isBlank() ? k.split(java.io.File.pathSeparator)[0]
                    : Path.of(Objects.requireNonNullElse(env.apply("HOME"), "."), ".kube", "config").toString();
        }
        Map<String, String> servers = new LinkedHashMap<>();
        String s = property.apply(SERVERS);
        if (s != null && !s.isBlank()) {
            for (String pair : s.trim().split("\\s*,\\s*")) {
                int eq = pair.indexOf('=');
                if (eq <= 0 || !pair.substring(eq + 1).startsWith("https://")) {
                    throw new IllegalArgumentException("-D" + SERVERS + ": '" + pair + "' is not cluster=https://host:port");
                }
                servers.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        String ready = property.apply(READY_SECONDS);
        Duration timeout;
        try {
            timeout = Duration.ofSeconds(ready == null || ready.isBlank() ? 180 : Long.parseLong(ready.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + READY_SECONDS + ": '" + ready + "' is not a number of seconds", e);
        }
        String topo = property.apply(TOPOLOGY);
        Optional<Path> topology = topo == null || topo.isBlank() ? Optional.empty() : Optional.of(Path.of(topo.trim()));
        return new KindOptions(contexts, Path.of(file), servers, timeout, topology);
    }
}
