package io.isthmus.controller.discovery;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.RegistryWriter;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.MeshLabels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A discovery source for places without Kubernetes (VMs, the local runner): services, their workload
 * entries and east-west gateways from a YAML file, re-read when its content changes (polled). A file
 * that does not parse leaves the last good content in force and marks the cluster ERRORED with the
 * reason. The format is documented in {@code docs/file-registry.md}:
 *
 * <pre>
 * cluster: vms                 # cluster name of these entries (default: the one given)
 * network: network-east        # default network of the workloads
 * services:
 * - name: reviews
 *   namespace: default
 *   hostname: reviews.default.svc.cluster.local   # default &lt;name&gt;.&lt;namespace&gt;.svc.cluster.local
 *   ports: [{name: http, port: 9080, targetPort: 9080, protocol: HTTP}]
 *   workloads:
 *   - {address: 10.1.0.11, name: reviews-vm-1, serviceAccount: reviews, locality: us-east/us-east-1a,
 *      labels: {version: v1}, health: HEALTHY}
 * gateways:
 * - {network: network-west, address: 10.255.0.2, port: 15443}
 * </pre>
 */
public final class FileRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FileRegistry.class);

    /** What a file holds once parsed. */
    public record Content(String cluster, List<ClusterService> services, List<NetworkGateway> gateways) {
        public Content {
            Objects.requireNonNull(cluster, "cluster");
            services = List.copyOf(services);
            gateways = List.copyOf(gateways);
        }
    }

    private final Path file;
    private final String defaultCluster;
    private final String defaultNetwork;
    private final RegistryWriter writer;
    private final Clock clock;
    private final ScheduledExecutorService poller;
    private String lastText;
    private String cluster;

    public FileRegistry(Path file, String defaultCluster, String defaultNetwork, RegistryWriter writer, Clock clock) {
        this.file = Objects.requireNonNull(file, "file");
        this.defaultCluster = Objects.requireNonNull(defaultCluster, "defaultCluster");
        this.defaultNetwork = Objects.requireNonNull(defaultNetwork, "defaultNetwork");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "file-registry");
            t.setDaemon(true);
            return t;
        });
    }

    /** Loads the file now and re-reads it every {@code interval} when its content changed. */
    public FileRegistry start(Duration interval) {
        reload();
        poller.scheduleWithFixedDelay(this::reload, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** Re-reads the file if it changed; synchronized with the poller. */
    public synchronized void reload() {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            text = "";
        } catch (IOException e) {
            LOG.warn("file registry unreadable [{}] {}", file, e.toString());
            return;
        }
        if (text.equals(lastText)) {
            return;
        }
        lastText = text;
        Content c;
        try {
            c = parse(text, defaultCluster, defaultNetwork);
        } catch (IllegalArgumentException e) {
            String reason = file + ": " + e.getMessage();
            LOG.error("file registry rejected, last good content stays [{}] {}", cluster == null ? defaultCluster : cluster, reason);
            writer.putStatus(ClusterStatus.of(cluster == null ? defaultCluster : cluster, ClusterStatus.State.ERRORED,
                    reason, clock.instant()));
            return;
        }
        if (cluster != null && !cluster.equals(c.cluster())) {
            writer.removeCluster(cluster);
        }
        cluster = c.cluster();
        writer.replaceCluster(cluster, c.services());
        writer.replaceGateways(cluster, c.gateways());
        writer.putStatus(ClusterStatus.of(cluster, ClusterStatus.State.SYNCED, "", clock.instant()));
        LOG.info("file registry loaded [{}] {} services={} gateways={}", cluster, file, c.services().size(),
                c.gateways().size());
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }

    /**
     * Parses the file format.
     *
     * @throws IllegalArgumentException naming the field and what is wrong
     */
    public static Content parse(String text, String defaultCluster, String defaultNetwork) {
        Map<String, Object> root;
        try {
            Object o = text.isBlank() ? Map.of() : Serialization.yamlMapper().readValue(text, Object.class);
            root = map(o, "(document)");
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("not YAML: " + e.getMessage(), e);
        }
        only(root, "", "cluster", "network", "services", "gateways");
        String cluster = str(root, "cluster", defaultCluster);
        String network = str(root, "network", defaultNetwork);
        List<ClusterService> services = new ArrayList<>();
        List<?> svcs = list(root, "services");
        for (int i = 0; i < svcs.size(); i++) {
            String at = "services[" + i + "]";
            Map<String, Object> s = map(svcs.get(i), at);
            only(s, at, "name", "namespace", "hostname", "ports", "workloads", "labels", "clusterIPs");
            String name = required(s, "name", at);
            String ns = str(s, "namespace", "default");
            String host = str(s, "hostname", MeshLabels.serviceHostname(name, ns));
            List<ServicePort> ports = new ArrayList<>();
            List<?> pl = list(s, "ports");
            for (int j = 0; j < pl.size(); j++) {
                String pat = at + ".ports[" + j + "]";
                Map<String, Object> p = map(pl.get(j), pat);
                only(p, pat, "name", "port", "targetPort", "protocol");
                int port = integer(p, "port", 0, pat);
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException(pat + ".port: must be 1..65535");
                }
                String pname = str(p, "name", "");
                ports.add(new ServicePort(pname, port, integer(p, "targetPort", port, pat),
                        Protocol.of(pname, str(p, "protocol", null))));
            }
            List<WorkloadEndpoint> eps = new ArrayList<>();
            List<?> wl = list(s, "workloads");
            for (int j = 0; j < wl.size(); j++) {
                String wat = at + ".workloads[" + j + "]";
                Map<String, Object> w = map(wl.get(j), wat);
                only(w, wat, "address", "name", "serviceAccount", "locality", "network", "labels", "ports", "health");
                Map<String, Integer> wports = new LinkedHashMap<>();
                Map<String, Object> wp = w.get("ports") == null ? Map.of() : map(w.get("ports"), wat + ".ports");
                for (String k : wp.keySet()) {
                    wports.put(k, integer(wp, k, 0, wat + ".ports"));
                }
                EndpointHealth health;
                try {
                    health = EndpointHealth.valueOf(str(w, "health", "HEALTHY"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(wat + ".health: must be HEALTHY or UNHEALTHY");
                }
                try {
                    eps.add(new WorkloadEndpoint(required(w, "address", wat), wports, cluster, str(w, "network", network),
                            Locality.parse(str(w, "locality", "")), health, str(w, "serviceAccount", "default"),
                            str(w, "name", ""), ns, strings(w, "labels", wat)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(wat + ": " + e.getMessage());
                }
            }
            List<String> vips = new ArrayList<>();
            for (Object v : list(s, "clusterIPs")) {
                String vip = v == null ? "" : v.toString().trim();
                if (!ClusterService.isIpLiteral(vip)) {
                    throw new IllegalArgumentException(at + ".clusterIPs: '" + vip + "' is not an IP address");
                }
                vips.add(vip);
            }
            services.add(new ClusterService(cluster, ns, name, host, ports, strings(s, "labels", at), eps, vips));
        }
        List<NetworkGateway> gateways = new ArrayList<>();
        List<?> gl = list(root, "gateways");
        for (int i = 0; i < gl.size(); i++) {
            String at = "gateways[" + i + "]";
            Map<String, Object> g = map(gl.get(i), at);
            only(g, at, "network", "address", "port");
            try {
                gateways.add(new NetworkGateway(required(g, "network", at), cluster, required(g, "address", at),
                        integer(g, "port", 15443, at)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ": " + e.getMessage());
            }
        }
        return new Content(cluster, services, gateways);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String at) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(at + ": must be an object");
        }
        return (Map<String, Object>) m;
    }

    private static List<?> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(key + ": must be a list");
        }
        return l;
    }

    private static void only(Map<String, Object> m, String at, String... keys) {
        List<String> ok = List.of(keys);
        for (String k : m.keySet()) {
            if (!ok.contains(k)) {
                throw new IllegalArgumentException((at.isEmpty() ? "" : at + ".") + k + ": unknown field (known: "
                        + String.join(", ", keys) + ")");
            }
        }
    }

    private static String str(Map<String, Object> m, String key, String dflt) {
        Object v = m.get(key);
        return v == null ? dflt : v.toString();
    }

    private static String required(Map<String, Object> m, String key, String at) {
        String v = str(m, key, "");
        if (v.isEmpty()) {
            throw new IllegalArgumentException(at + "." + key + ": required");
        }
        return v;
    }

    private static int integer(Map<String, Object> m, String key, int dflt, String at) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + "." + key + ": must be a number, got " + v);
        }
    }

    private static Map<String, String> strings(Map<String, Object> m, String key, String at) {
        Object v = m.get(key);
        if (v == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        map(v, at + "." + key).forEach((k, val) -> out.put(k, String.valueOf(val)));
        return out;
    }
}
