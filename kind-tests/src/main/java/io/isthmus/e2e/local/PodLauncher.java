package io.isthmus.e2e.local;

import io.isthmus.e2e.net.PodNetwork;
import io.isthmus.e2e.topology.CaptureMode;
import io.isthmus.e2e.topology.ClusterSpec;
import io.isthmus.e2e.topology.NodeSpec;
import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.WorkloadSpec;
import io.isthmus.mesh.MeshLabels;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.WellKnownPorts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Starts and stops pods: a namespace and address from the sandbox, a bootstrap and a bootstrap
 * token for its sidecar, one JVM running the demo app and (when present) the sidecar; publishes
 * the pod and, once its app and sidecar answer, its ready endpoint.
 */
final class PodLauncher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodLauncher.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LocalFederation federation;
    private final FederationOptions options;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final Map<String, Integer> counters = new ConcurrentHashMap<>();
    private final Map<String, PodNetwork> networks = new ConcurrentHashMap<>();
    private final List<ChildProcess> processes = new CopyOnWriteArrayList<>();
    /** The sidecar JVMs of pods in transparent capture (their own processes), by {@code cluster/pod}. */
    private final Map<String, ChildProcess> sidecars = new ConcurrentHashMap<>();
    /** The pods that run no sidecar, by {@code cluster/pod}. */
    private final Set<String> withoutSidecar = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService delays = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "endpoint-controller");
        t.setDaemon(true);
        return t;
    });

    private final List<PodHandle> watched = new CopyOnWriteArrayList<>();

    PodLauncher(LocalFederation federation, FederationOptions options) {
        this.federation = federation;
        this.options = options;
        delays.scheduleWithFixedDelay(this::reap, 1, 1, TimeUnit.SECONDS);
    }

    /** The kubelet's part: a pod whose process died on its own (not through {@link #kill}) loses its endpoint. */
    private void reap() {
        for (PodHandle p : watched) {
            if (!p.process().alive()) {
                watched.remove(p);
                java.util.OptionalInt exit = p.process().exitCode();
                LOG.warn("pod process died [{}] exit={}; removing its endpoint", p, exit.isPresent() ? exit.getAsInt() : "?");
                try {
                    kill(p, Duration.ZERO);
                    federation.progress(exitedLine(p.cluster(), p.name(), exit));
                } catch (RuntimeException e) {
                    LOG.warn("cannot remove dead pod [{}]: {}", p, e.getMessage());
                    federation.progress("pod exited: " + p.cluster() + "/" + p.name() + " (" + exitText(exit)
                            + "); removing its endpoint failed: " + e.getMessage());
                }
            }
        }
    }

    /** The terminal line for a pod whose process ended on its own, e.g. {@code pod exited: east/reviews-v1-0 (exit 137); its endpoint is removed}. */
    static String exitedLine(String cluster, String pod, java.util.OptionalInt exit) {
        return "pod exited: " + cluster + "/" + pod + " (" + exitText(exit) + "); its endpoint is removed";
    }

    private static String exitText(java.util.OptionalInt exit) {
        return exit.isPresent() ? "exit " + exit.getAsInt() : "exit code unknown";
    }

    /** The bootstrap tokens file of every controller: {@code <token> <namespace>/<serviceaccount>} per line. */
    Path tokensFile() {
        return options.workDir().resolve("bootstrap-tokens");
    }

    /** Rewrites the tokens file atomically (controllers reload it on change). */
    synchronized void writeTokens() {
        String text = tokens.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).sorted()
                .collect(Collectors.joining("\n", "", "\n"));
        try {
            Path tmp = tokensFile().resolveSibling("bootstrap-tokens.tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, tokensFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + tokensFile(), e);
        }
    }

    /**
     * Where a proxy of {@code cluster} finds its control plane: a primary's own node address and
     * 15012, or for a remote cluster its primary's gateway on the public network and 15443; {host, port}.
     */
    String[] controlPlaneAddress(String cluster, boolean gateway) {
        ClusterSpec c = federation.cluster(cluster).spec();
        if (c.role() == ClusterSpec.Role.PRIMARY) {
            return new String[] {federation.cluster(cluster).nodeAddress(), Integer.toString(WellKnownPorts.XDS_SECURE)};
        }
        // The primary's east-west gateway passes connections whose SNI is the controller's name
        // (the proxies' default server name) on to its controller.
        ClusterSpec primary = federation.cluster(c.controlPlane()).spec();
        String gw = federation.network().gatewayPublicAddress(primary.network());
        return new String[] {gw, Integer.toString(WellKnownPorts.EAST_WEST_PASSTHROUGH)};
    }

    /** Writes a proxy's bootstrap and token; returns the proxy flags that point at them. */
    List<String> proxyFiles(String name, Bootstrap b, String namespace, String serviceAccount) {
        Path dir = options.workDir().resolve("pods").resolve(name);
        String token = HexFormat.of().formatHex(randomBytes());
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("bootstrap.json"), b.toJson());
            Files.writeString(dir.resolve("token"), token);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the proxy files of " + name, e);
        }
        tokens.put(token, namespace + "/" + serviceAccount);
        writeTokens();
        return List.of("--bootstrap", dir.resolve("bootstrap.json").toAbsolutePath().toString(),
                "--token-file", dir.resolve("token").toAbsolutePath().toString(),
                "--root-cert", federation.pki().rootCert().toAbsolutePath().toString());
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    /** Starts a pod of {@code s} as {@code w} describes (replicas ignored: one pod); returns at once. */
    PodHandle start(ServiceSpec s, WorkloadSpec w) {
        SimulatedCluster cluster = federation.cluster(w.cluster());
        NodeSpec node = cluster.spec().node(w.zone()).orElseThrow(() -> new IllegalArgumentException(
                "cluster " + w.cluster() + " has no node in zone " + w.zone()));
        int n = counters.merge(w.cluster() + "/" + s.name() + "-" + w.version(), 1, Integer::sum) - 1;
        String podName = s.name() + "-" + w.version() + "-" + n;
        PodNetwork net = federation.addPodNetwork(w.cluster(), podName);
        networks.put(w.cluster() + "/" + podName, net);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MeshLabels.APP, s.name());
        labels.put(MeshLabels.VERSION, w.version());
        labels.put(MeshLabels.NETWORK, cluster.spec().network());
        if (w.sidecar()) {
            // as Istio's injector labels the pods it adds a sidecar to
            labels.put(MeshLabels.TLS_MODE, MeshLabels.TLS_MODE_ISTIO);
        }
        PodRecord rec = new PodRecord(w.cluster(), podName, s.namespace(), s.name(), s.serviceAccount(), node.name(),
                cluster.nodeAddress(), w.zone(), net.address(), labels, false);
        List<String> args = new ArrayList<>(List.of("--service", s.name(), "--namespace", s.namespace(),
                "--cluster", w.cluster(), "--zone", w.zone(), "--pod", podName, "--version", w.version(),
                "--port", s.ports().stream().map(p -> Integer.toString(p.targetPort())).collect(Collectors.joining(","))));
        String key = w.cluster() + "/" + podName;
        Path logs = options.workDir().resolve("logs");
        if (!w.sidecar()) {
            // an app not in the mesh: it serves its ports in plaintext on the pod's own address, no proxy in front
            args.addAll(List.of("--app-address", net.address(), "--control-address", net.isolated() ? "0.0.0.0" : net.address()));
            ChildProcess p = ChildProcess.startJava(w.cluster() + "-" + podName, net.execPrefix(), List.of(), "96m",
                    LocalFederation.podMain(), args, logs);
            processes.add(p);
            withoutSidecar.add(key);
            LOG.info("pod without a sidecar [{}] pid={}", key, p.pid());
            PodHandle handle = new PodHandle(rec, p);
            cluster.podStarting(handle);
            return handle;
        }
        String[] xds = controlPlaneAddress(w.cluster(), false);
        String ports = s.ports().stream().map(p -> p.port() + "/" + p.protocol().name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(","));
        Bootstrap b = new Bootstrap(ProxyMetadata.TYPE_SIDECAR, podName, s.namespace(), net.address(), s.name(),
                w.cluster(), cluster.spec().network(), node.region(), node.zone(), node.subzone(), s.serviceAccount(),
                labels, ports, xds[0], Integer.parseInt(xds[1]));
        boolean captured = w.capture().transparent();
        if (captured) {
            b = b.withMetadata(Map.of(ProxyMetadata.INTERCEPTION_MODE, w.capture().name()));
        }
        List<String> jvmOptions = List.of();
        if (!net.isolated()) {
            // Loopback mode: the pod's three addresses replace its namespace's eth0, 127.0.0.1 and
            // 127.0.0.2; its JVM resolves mesh names from its own hosts file (no resolv.conf of its own).
            args.addAll(List.of("--app-address", net.appAddress(), "--control-address", net.address()));
            b = b.withMetadata(Map.of(ProxyMetadata.OUTBOUND_ADDRESS, net.outboundAddress(),
                    ProxyMetadata.APP_ADDRESS, net.appAddress()));
            Path hosts = PodHosts.write(options.workDir().resolve("pods").resolve(w.cluster() + "-" + podName),
                    federation.topology(), s.namespace(), net.outboundAddress());
            jvmOptions = List.of("-D" + PodHosts.PROPERTY + "=" + hosts.toAbsolutePath());
        }
        List<String> proxyArgs = new ArrayList<>(proxyFiles(w.cluster() + "-" + podName, b, s.namespace(), s.serviceAccount()));
        if (captured) {
            // transparent capture: mesh names resolve to their ClusterIPs in the pod's cluster (the
            // controller's VIPs); REDIRECT through DNS capture, TPROXY with the sidecar as nameserver
            proxyArgs.addAll(CapturedPod.dnsFlags(w.capture()));
        } else if (net.isolated()) {
            // capture mode NONE: mesh names resolve to 127.0.0.2 through the sidecar's DNS proxy; the
            // federation has no cluster DNS, so other names are NXDOMAIN (--dns-upstream none)
            proxyArgs.addAll(List.of("--dns-address", CapturedPod.DNS_ADDRESS, "--dns-upstream", CapturedPod.NO_UPSTREAM));
        } else {
            // loopback pods: nothing is forwarded to the machine's own resolver either
            proxyArgs.addAll(List.of("--dns-address", net.address() + ":" + PodHosts.LOOPBACK_DNS_PORT,
                    "--dns-upstream", CapturedPod.NO_UPSTREAM, "--admin-address", net.address(), "--health-address", net.address()));
        }
        if (!options.proxyCertTtl().isZero()) {
            proxyArgs.addAll(List.of("--cert-ttl", options.proxyCertTtl().toSeconds() + "s"));
        }
        ChildProcess p;
        if (captured) {
            // the init container's step, then the app (root) and its sidecar (group 1337; REDIRECT: user 1337 too) as two processes
            CapturedPod.prepare(net, w.capture(), s.namespace(), w.cluster() + "-" + podName, logs);
            p = ChildProcess.startJava(w.cluster() + "-" + podName, net.execPrefix(), jvmOptions, "96m",
                    LocalFederation.podMain(), args, logs);
            processes.add(p);
            ChildProcess sidecar = ChildProcess.startJava(w.cluster() + "-" + podName + "-sidecar", CapturedPod.proxyPrefix(net, w.capture()),
                    List.of(), "128m", CapturedPod.PROXY_MAIN, proxyArgs, logs);
            processes.add(sidecar);
            sidecars.put(key, sidecar);
            LOG.info("pod in capture [{}] mode={} sidecar uid={} gid={} dns={} pid={}", key, w.capture(),
                    w.capture() == CaptureMode.REDIRECT ? CapturedPod.PROXY_UID : 0, CapturedPod.PROXY_GID,
                    CapturedPod.capturesDns(w.capture()) ? "captured" : "sidecar as nameserver", sidecar.pid());
        } else {
            args.add("--");
            args.addAll(proxyArgs);
            p = ChildProcess.startJava(w.cluster() + "-" + podName, net.execPrefix(), jvmOptions, "128m",
                    LocalFederation.podMain(), args, logs);
            processes.add(p);
        }
        PodHandle handle = new PodHandle(rec, p);
        cluster.podStarting(handle);
        return handle;
    }

    /** Waits until the pod's app answers and its sidecar (if it has one) is ready, then marks it ready (endpoint published). */
    PodHandle awaitReady(PodHandle pod) {
        Waits.until("pod " + pod + " to be ready", options.readyTimeout(), () -> {
            if (!pod.process().alive()) {
                throw new Waits.Fatal("pod process exited");
            }
            if (!pod.healthy()) {
                return false;
            }
            if (withoutSidecar.contains(pod.record().cluster() + "/" + pod.name())) {
                return true;
            }
            return pod.call("http://" + healthHost(pod) + ":" + WellKnownPorts.HEALTH + "/healthz/ready").status() == 200;
        }, () -> "log " + pod.process().log() + ":\n" + pod.process().tail(40));
        ServiceSpec s = federation.topology().service(pod.record().service()).orElseThrow();
        PodHandle ready = federation.cluster(pod.record().cluster()).podReady(pod, s);
        watched.add(ready);
        return ready;
    }

    /** Where a pod's sidecar answers readiness: 127.0.0.1 inside its namespace, its pod IP in loopback mode. */
    private String healthHost(PodHandle pod) {
        PodNetwork net = networks.get(pod.record().cluster() + "/" + pod.name());
        return net == null || net.isolated() ? "127.0.0.1" : net.address();
    }

    /** Kills a pod's JVM; its endpoint and Pod object go after {@code endpointDelay}, then its namespace. */
    void kill(PodHandle pod, Duration endpointDelay) {
        watched.removeIf(p -> p.name().equals(pod.name()) && p.record().cluster().equals(pod.record().cluster()));
        pod.process().kill();
        processes.remove(pod.process());
        withoutSidecar.remove(pod.record().cluster() + "/" + pod.name());
        ChildProcess sidecar = sidecars.remove(pod.record().cluster() + "/" + pod.name());
        if (sidecar != null) {
            sidecar.kill();
            processes.remove(sidecar);
        }
        ServiceSpec s = federation.topology().service(pod.record().service()).orElseThrow();
        Runnable gone = () -> {
            federation.cluster(pod.record().cluster()).podGone(pod, s);
            PodNetwork net = networks.remove(pod.record().cluster() + "/" + pod.name());
            if (net != null) {
                federation.network().remove(net);
            }
            LOG.info("pod gone [{}] endpoint removed", pod);
        };
        if (endpointDelay.isZero()) {
            gone.run();
        } else {
            delays.schedule(gone, endpointDelay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        watched.clear();
        delays.shutdownNow();
        for (ChildProcess p : processes) {
            p.close();
        }
        processes.clear();
        sidecars.clear();
        withoutSidecar.clear();
    }
}
