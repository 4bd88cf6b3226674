package io.isthmus.e2e.local;

import io.isthmus.e2e.topology.ServiceSpec;
import io.isthmus.e2e.topology.Topology;
import io.isthmus.mesh.MeshLabels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Name resolution of a pod without a network namespace (loopback mode): its own hosts file,
 * given to its JVM with {@code -Djdk.net.hosts.file} (Java's {@code InetAddress} then resolves
 * from that file only), mapping every service hostname of the topology — the full
 * {@code <svc>.<ns>.svc.cluster.local}, {@code <svc>.<ns>.svc}, {@code <svc>.<ns>}, and the bare
 * {@code <svc>} for the pod's own namespace — to the pod's outbound address, where its sidecar's
 * outbound listeners bind. It plays the part the sidecar's DNS proxy and the namespace's
 * {@code resolv.conf} play in namespace mode. It covers the pod's JVM only (the demo app is
 * ours); other programs on the machine resolve as before.
 */
final class PodHosts {
    /** The JVM property that names the hosts file (JDK 9+). */
    static final String PROPERTY = "jdk.net.hosts.file";
    /** Where a loopback pod's sidecar DNS proxy listens on its pod IP (Istio's DNS capture port; unprivileged). */
    static final int LOOPBACK_DNS_PORT = 15053;

    private PodHosts() {
    }

    /** The lines of a pod's hosts file. */
    static List<String> lines(Topology topology, String podNamespace, String outboundAddress) {
        List<String> out = new ArrayList<>();
        String self = hostName();
        out.add("127.0.0.1 localhost" + (self.isEmpty() || self.equals("localhost") ? "" : " " + self));
        for (ServiceSpec s : topology.services()) {
            String full = MeshLabels.serviceHostname(s.name(), s.namespace());
            StringBuilder b = new StringBuilder(outboundAddress).append(' ').append(full)
                    .append(' ').append(s.name()).append('.').append(s.namespace()).append(".svc")
                    .append(' ').append(s.name()).append('.').append(s.namespace());
            if (s.namespace().equals(podNamespace)) {
                b.append(' ').append(s.name());
            }
            out.add(b.toString());
        }
        return out;
    }

    /** Writes {@code <dir>/hosts} and returns it. */
    static Path write(Path dir, Topology topology, String podNamespace, String outboundAddress) {
        Path file = dir.resolve("hosts");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, String.join("\n", lines(topology, podNamespace, outboundAddress)) + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** This machine's host name (so {@code InetAddress.getLocalHost()} still answers), or empty. */
    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
