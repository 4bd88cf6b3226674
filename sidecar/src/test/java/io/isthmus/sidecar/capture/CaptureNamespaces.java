package io.isthmus.sidecar.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.sidecar.cli.IptablesCommand;
import io.isthmus.sidecar.cli.ProxyCommand;
import io.isthmus.trust.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces for the capture tests, a "pod" and a "node" joined by a veth pair with no
 * route anywhere else, and the capture scenario they run in either mode: {@code isthmus iptables}
 * installs the rules in the pod, the proxy runs there with Istio's virtualOutbound / virtualInbound
 * listeners, and the app's call to a ClusterIP is captured on 15001 and routed by Host to an upstream
 * in the node namespace (the proxy's own upstream connection is not captured again), a call from the
 * node to the pod IP is captured on 15006 and reaches the app on 127.0.0.1, ports without an inbound
 * listener are passed through from 127.0.0.6, unknown destinations are passed through (ALLOW_ANY) or
 * refused (REGISTRY_ONLY), and {@code --clean} leaves the namespace as it was. With
 * {@code --redirect-dns} among the rules' flags, the app's UDP DNS queries to any address are captured
 * too: the proxy's DNS proxy on {@code 127.0.0.1:15053} forwards them to a DNS server in the node
 * namespace (its own queries not captured again) and the app gets the answer from the address it
 * asked. Aborts the test unless root with {@code ip netns}, iptables and setpriv.
 */
final class CaptureNamespaces implements AutoCloseable {

    static final String POD_IP = "10.211.0.2";
    static final String NODE_IP = "10.211.0.1";
    static final String CLUSTER_IP = "10.96.0.10";
    /** A cluster DNS address nothing answers at: only DNS capture can answer a query sent there. */
    static final String CLUSTER_DNS = "10.96.0.53";
    /** ULA addresses of the dual-stack scenario, on the veth pair only. */
    static final String POD_IP6 = "fd00:211::2";
    static final String NODE_IP6 = "fd00:211::1";
    static final String CLUSTER_IP6 = "fd00:96::10";
    /** An IPv6 cluster DNS address nothing answers at. */
    static final String CLUSTER_DNS6 = "fd00:96::53";

    /** Which address families the scenario uses. */
    enum Stack {
        /** IPv4 only. */
        IPV4,
        /** IPv4 and IPv6 ({@code isthmus iptables --ipv6}, listeners with {@code additional_addresses [::]}). */
        DUAL
    }

    private final Path dir;
    private final String suffix = Long.toString(ProcessHandle.current().pid() % 1_000_000);
    private final String prefix;
    // not "isthmus-*": the e2e runner removes such namespaces (and kills their processes) as stale
    private final String pod;
    private final String node;
    private final List<Process> processes = new ArrayList<>();
    private boolean made;

    /**
     * Makes the namespaces (aborting the test when this machine cannot).
     *
     * @param prefix a short name of the test (namespace and interface names start with it, at most 4 letters)
     * @param dir where logs, certificates and the bootstrap go
     */
    CaptureNamespaces(String prefix, Path dir) throws Exception {
        this.prefix = prefix;
        this.dir = dir;
        this.pod = prefix + "cap-pod-" + suffix;
        this.node = prefix + "cap-node-" + suffix;
        assumeTrue(netAdmin(), "needs root (CAP_NET_ADMIN)");
        for (String tool : List.of("ip", "iptables", "iptables-restore", "iptables-save", "setpriv")) {
            assumeTrue(run(List.of("sh", "-c", "command -v " + tool)).code == 0, "needs " + tool);
        }
        assumeTrue(run(List.of("ip", "netns", "add", pod)).code == 0, "ip netns add must work");
        made = true;
        must(List.of("ip", "netns", "add", node));
        String a = prefix + "a" + suffix;
        String b = prefix + "b" + suffix;
        must(List.of("ip", "link", "add", a, "netns", pod, "type", "veth", "peer", "name", b, "netns", node));
        must(inNs(pod, "ip", "link", "set", "lo", "up"));
        must(inNs(pod, "ip", "link", "set", a, "up"));
        must(inNs(pod, "ip", "addr", "add", POD_IP + "/24", "dev", a));
        // the service range is routed towards the node, as a pod's default route would
        must(inNs(pod, "ip", "route", "add", "10.96.0.0/12", "via", NODE_IP));
        must(inNs(node, "ip", "link", "set", "lo", "up"));
        must(inNs(node, "ip", "link", "set", b, "up"));
        must(inNs(node, "ip", "addr", "add", NODE_IP + "/24", "dev", b));
    }

    /** Aborts the test unless the pod's kernel offers an iptables target, probed with a harmless rule of {@code table}. */
    void assumeTarget(String table, String... rule) throws Exception {
        List<String> add = new ArrayList<>(List.of("iptables", "-t", table, "-A"));
        add.addAll(List.of(rule));
        assumeTrue(run(inNs(pod, add.toArray(String[]::new))).code == 0, "the kernel must offer " + String.join(" ", rule));
        add.set(3, "-D");
        must(inNs(pod, add.toArray(String[]::new)));
    }

    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        if (made) {
            run(List.of("ip", "netns", "del", pod));
            run(List.of("ip", "netns", "del", node));
        }
    }

    /**
     * Runs the capture scenario and prints the proxy's log.
     *
     * @param mode the rules' and the listeners' capture mode
     * @param iptablesFlags flags of {@code isthmus iptables} besides {@code --mode}
     * @param proxyPrefix what the proxy's command starts with (e.g. setpriv into the proxy's group)
     * @param allowAny outbound policy ALLOW_ANY (else REGISTRY_ONLY)
     */
    void captures(CaptureMode mode, List<String> iptablesFlags, List<String> proxyPrefix, boolean allowAny) throws Exception {
        captures(mode, Stack.IPV4, iptablesFlags, proxyPrefix, allowAny);
    }

    /** Runs the capture scenario with these address families and prints the proxy's log. */
    void captures(CaptureMode mode, Stack stack, List<String> iptablesFlags, List<String> proxyPrefix, boolean allowAny)
            throws Exception {
        try {
            scenario(mode, stack, iptablesFlags, proxyPrefix, allowAny);
        } finally {
            System.out.println("--- proxy log\n" + log("proxy"));
        }
    }

    private void scenario(CaptureMode mode, Stack stack, List<String> iptablesFlags, List<String> proxyPrefix, boolean allowAny)
            throws Exception {
        boolean dual = stack == Stack.DUAL;
        boolean dns = iptablesFlags.contains("--redirect-dns");
        if (dual) {
            ipv6();
        }
        if (dns) {
            assumeTarget("raw", "OUTPUT", "-p", "udp", "--dport", "1", "-j", "CT", "--zone", "1");
        }
        String before = namespaceState();

        String nodeAddress = dual ? "::" : NODE_IP;
        Process upstream = start("upstream", inNs(node, java(NetnsPeer.class, "serve", nodeAddress, "9080", "upstream")));
        // outside the mesh: no listener, no cluster
        Process external = start("external", inNs(node, java(NetnsPeer.class, "serve", nodeAddress, "7777", "external")));
        Process app = start("app", inNs(pod, java(NetnsPeer.class, "serve", "127.0.0.1", "8080", "app")));
        // a port the pod listens on that no service (no inbound listener) names
        Process extra = start("extra", inNs(pod, java(NetnsPeer.class, "serve", dual ? "::" : "0.0.0.0", "7070", "extra")));
        if (dns) {
            start("dns", inNs(node, java(NetnsPeer.class, "dns-serve", NODE_IP, "53", "db.example.org=10.211.0.77")));
            awaitLog("dns", "serving dns");
        }
        for (String name : List.of("upstream", "external", "app", "extra")) {
            awaitLog(name, "serving");
        }

        List<String> flags = new ArrayList<>(List.of("--mode", mode.name()));
        flags.addAll(iptablesFlags);
        if (dual) {
            flags.add("--ipv6");
        }
        Result apply = run(inNs(pod, java(IptablesCommand.class, flags.toArray(String[]::new))));
        assertThat(apply.code).as(apply.output).isZero();
        if (mode == CaptureMode.TPROXY) {
            assertThat(namespaceState()).contains("-A ISTHMUS_OUTPUT").contains("lookup 133").contains("local default dev lo");
        } else {
            assertThat(namespaceState()).contains("-A ISTHMUS_OUTPUT").contains("REDIRECT --to-ports 15001")
                    .doesNotContain("lookup 133").doesNotContain("ISTHMUS_DIVERT");
        }
        if (dns) {
            assertThat(namespaceState()).contains("-A ISTHMUS_OUTPUT_DNS -p udp -m udp --dport 53 -j REDIRECT --to-ports 15053")
                    .contains("CT --zone 1").contains("CT --zone 2");
        } else {
            assertThat(namespaceState()).doesNotContain("ISTHMUS_OUTPUT_DNS");
        }

        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path certs = Files.createDirectories(dir.resolve("certs"));
        pki.writeWorkloadDir("east", "default", "app", certs);
        Path clientCerts = Files.createDirectories(dir.resolve("client-certs"));
        pki.writeWorkloadDir("east", "default", "client", clientCerts);
        Path bootstrap = dir.resolve("bootstrap.yaml");
        Files.writeString(bootstrap, CaptureBootstrap.yaml(mode, stack, allowAny));
        List<String> proxyCmd = new ArrayList<>(proxyPrefix);
        proxyCmd.addAll(List.of(java(ProxyCommand.class, "--bootstrap", bootstrap.toString(), "--cert-dir", certs.toString(), "--drain-time", "1s")));
        if (dns) {
            proxyCmd.addAll(List.of("--dns-address", "127.0.0.1:15053", "--dns-upstream", NODE_IP + ":53"));
        }
        start("proxy", inNs(pod, proxyCmd.toArray(String[]::new)));
        String any = dual ? "/[0:0:0:0:0:0:0:0]" : "/0.0.0.0";
        awaitLog("proxy", "capture socket bound [virtualOutbound " + any + ":15001] mode=" + mode);
        awaitLog("proxy", "capture socket bound [virtualInbound " + any + ":15006] mode=" + mode);
        awaitLog("proxy", "listener bound [0.0.0.0_9080");
        if (dns) {
            awaitLog("proxy", "DNS proxy listening [/127.0.0.1:15053");
            dnsChecks();
        }

        Map<String, String> fromPod = get(pod, CLUSTER_IP + ":9080:reviews", "127.0.0.1:15001:direct");
        assertThat(fromPod.get(CLUSTER_IP + ":9080"))
                .as("the app's call to the ClusterIP is captured, routed by Host, and the proxy's own upstream connection leaves uncaptured")
                .startsWith("HTTP/1.1 200").contains("upstream host=reviews peer=" + POD_IP);
        assertThat(fromPod.get("127.0.0.1:15001")).as("a connection with no original destination is refused")
                .isIn("CLOSED", "ERROR java.net.SocketException: Connection reset");
        assertThat(log("proxy")).contains("connection to the capture port that iptables did not redirect");

        if (allowAny) {
            assertThat(get(pod, NODE_IP + ":7777:external.example").get(NODE_IP + ":7777"))
                    .as("ALLOW_ANY: no listener at that destination, virtualOutbound's PassthroughCluster chain connects to it")
                    .startsWith("HTTP/1.1 200").contains("external host=external.example peer=" + POD_IP);
            assertThat(get(pod, NODE_IP + ":9080:other.example").get(NODE_IP + ":9080"))
                    .as("ALLOW_ANY: an unknown Host on a mesh port goes by the allow_any virtual host to the original destination")
                    .startsWith("HTTP/1.1 200").contains("upstream host=other.example peer=" + POD_IP);
        } else {
            assertThat(get(pod, CLUSTER_IP + ":7777:unknown").get(CLUSTER_IP + ":7777"))
                    .as("REGISTRY_ONLY: no listener at that destination, the BlackHoleCluster chain refuses it")
                    .isIn("CLOSED", "ERROR java.net.SocketException: Connection reset");
            assertThat(get(pod, CLUSTER_IP + ":9080:other.example").get(CLUSTER_IP + ":9080"))
                    .as("REGISTRY_ONLY: an unknown Host on a mesh port is answered by block_all")
                    .startsWith("HTTP/1.1 502");
        }

        Map<String, String> fromNode = get(node, POD_IP + ":8080:app", POD_IP + ":7070:extra");
        assertThat(fromNode.get(POD_IP + ":8080")).as("inbound to the pod IP is captured on 15006 and reaches the app on loopback")
                .startsWith("HTTP/1.1 200").contains("app host=app peer=127.0.0.1");
        assertThat(fromNode.get(POD_IP + ":7070"))
                .as("a port with no inbound listener: InboundPassthroughClusterIpv4 connects to the pod IP from 127.0.0.6")
                .startsWith("HTTP/1.1 200").contains("extra host=extra peer=127.0.0.6");
        Result mtls = run(inNs(node, java(NetnsPeer.class, "mtls-get", clientCerts.toString(), POD_IP + ":7070:extra")));
        assertThat(mtls.output).as("PERMISSIVE passthrough: an mTLS connection is terminated by the proxy and passed through too")
                .contains("HTTP/1.1 200").contains("extra host=extra peer=127.0.0.6");

        if (dual) {
            ipv6Checks(clientCerts, allowAny);
            if (dns) {
                String v6 = "[" + CLUSTER_DNS6 + "]:53:db.example.org";
                assertThat(dnsAsk(v6).get(v6)).as("IPv6 DNS is captured too (ip6tables, to the DNS proxy on [::1]:15053)")
                        .startsWith("from /").contains("fd00:96:0:0:0:0:0:53").endsWith(":53 rcode 0 answer 10.211.0.77 id 16962");
            }
        }

        String metrics = get(pod, "127.0.0.1:15090:metrics:/stats/prometheus").get("127.0.0.1:15090");
        assertThat(metrics).contains("destination_service_name=\"InboundPassthroughClusterIpv4\"");
        if (allowAny) {
            assertThat(metrics.lines().filter(l -> l.startsWith("istio_tcp_connections_opened_total")
                    && l.contains("destination_service_name=\"PassthroughCluster\"")))
                    .as("passed-through TCP counted under PassthroughCluster").isNotEmpty();
            assertThat(metrics.lines().filter(l -> l.startsWith("istio_requests_total")
                    && l.contains("destination_service_name=\"PassthroughCluster\"") && l.contains("destination_service=\"other.example\"")))
                    .as("passed-through HTTP counted under PassthroughCluster with its Host").isNotEmpty();
        } else {
            assertThat(metrics.lines().filter(l -> l.startsWith("istio_tcp_connections_opened_total")
                    && l.contains("destination_service_name=\"BlackHoleCluster\"")))
                    .as("refused connections counted under BlackHoleCluster").isNotEmpty();
        }

        Result clean = run(inNs(pod, java(IptablesCommand.class, "--clean")));
        assertThat(clean.code).as(clean.output).isZero();
        assertThat(namespaceState()).as("--clean removes exactly what was added").isEqualTo(before);
        assertThat(upstream.isAlive() && app.isAlive() && external.isAlive() && extra.isAlive()).isTrue();
    }

    /**
     * DNS capture: the app's queries (from a process outside the proxy's group) to an address nobody
     * answers at and to the node's DNS server itself reach the DNS proxy, whose own query to its
     * upstream (the node's DNS server) is not captured again, and each answer comes back from the
     * address the app asked (conntrack reverses the redirect in the app's zone).
     */
    private void dnsChecks() throws Exception {
        String viaClusterDns = CLUSTER_DNS + ":53:db.example.org";
        String viaNode = NODE_IP + ":53:db.example.org";
        String unknown = CLUSTER_DNS + ":53:absent.example.org";
        Map<String, String> answers = dnsAsk(viaClusterDns, viaNode, unknown);
        assertThat(answers.get(viaClusterDns)).as("a query to an address nobody answers at is captured, forwarded and answered from that address")
                .isEqualTo("from /" + CLUSTER_DNS + ":53 rcode 0 answer 10.211.0.77 id 16962");
        assertThat(answers.get(viaNode)).as("a query to any address is captured; the answer comes from the address asked")
                .isEqualTo("from /" + NODE_IP + ":53 rcode 0 answer 10.211.0.77 id 16962");
        assertThat(answers.get(unknown)).as("the upstream's NXDOMAIN comes back the same way")
                .isEqualTo("from /" + CLUSTER_DNS + ":53 rcode 3 answer - id 16962");
        assertThat(log("dns")).as("the upstream got the queries from the proxy (the pod's address), forwarded once each")
                .contains("dns question db.example.org type 1 from /" + POD_IP + ":")
                .contains("dns question absent.example.org type 1 from /" + POD_IP + ":");
    }

    private Map<String, String> dnsAsk(String... targets) throws Exception {
        List<String> args = new ArrayList<>(List.of("dns-ask"));
        args.addAll(List.of(targets));
        return sections(run(inNs(pod, java(NetnsPeer.class, args.toArray(String[]::new)))).output);
    }

    /** The IPv6 side of the dual-stack scenario: the same calls to the ULA addresses. */
    private void ipv6Checks(Path clientCerts, boolean allowAny) throws Exception {
        String cluster = "[" + CLUSTER_IP6 + "]:9080";
        assertThat(get(pod, cluster + ":reviews").get(cluster))
                .as("IPv6: the app's call to an IPv6 ClusterIP is captured and routed by Host (to the IPv4 endpoint)")
                .startsWith("HTTP/1.1 200").contains("upstream host=reviews peer=" + POD_IP);
        if (allowAny) {
            String external = "[" + NODE_IP6 + "]:7777";
            assertThat(get(pod, external + ":external.example").get(external))
                    .as("IPv6 ALLOW_ANY: passed through to the IPv6 destination, the proxy's own IPv6 connection not captured again")
                    .startsWith("HTTP/1.1 200")
                    .contains("external host=external.example peer=" + java.net.InetAddress.getByName(POD_IP6).getHostAddress());
        }
        String app = "[" + POD_IP6 + "]:8080";
        String extra = "[" + POD_IP6 + "]:7070";
        Map<String, String> fromNode = get(node, app + ":app", extra + ":extra");
        assertThat(fromNode.get(app)).as("IPv6 inbound to the pod is captured on 15006 and reaches the app on 127.0.0.1")
                .startsWith("HTTP/1.1 200").contains("app host=app peer=127.0.0.1");
        assertThat(fromNode.get(extra)).as("IPv6 port with no inbound listener: InboundPassthroughClusterIpv6 from ::6")
                .startsWith("HTTP/1.1 200").contains("extra host=extra peer=0:0:0:0:0:0:0:6");
        Result mtls = run(inNs(node, java(NetnsPeer.class, "mtls-get", clientCerts.toString(), extra + ":extra")));
        assertThat(mtls.output).as("IPv6 PERMISSIVE passthrough over mTLS").contains("HTTP/1.1 200").contains("peer=0:0:0:0:0:0:0:6");
    }

    /** ULA addresses on the veth pair (no duplicate address detection, so they work at once) and the IPv6 service range. */
    private void ipv6() throws Exception {
        assumeTrue(run(inNs(pod, "ip", "-6", "addr", "add", POD_IP6 + "/64", "dev", prefix + "a" + suffix, "nodad")).code == 0,
                "IPv6 must be enabled in network namespaces");
        must(inNs(node, "ip", "-6", "addr", "add", NODE_IP6 + "/64", "dev", prefix + "b" + suffix, "nodad"));
        must(inNs(pod, "ip", "-6", "route", "add", "fd00:96::/112", "via", NODE_IP6));
        for (String tool : List.of("ip6tables", "ip6tables-restore", "ip6tables-save")) {
            assumeTrue(run(List.of("sh", "-c", "command -v " + tool)).code == 0, "needs " + tool);
        }
    }

    private Map<String, String> get(String ns, String... targets) throws Exception {
        List<String> args = new ArrayList<>(List.of("get"));
        args.addAll(List.of(targets));
        Result r = run(inNs(ns, java(NetnsPeer.class, args.toArray(String[]::new))));
        return sections(r.output);
    }

    /** A client's output split at its lines {@code == <key>}. */
    private static Map<String, String> sections(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        String key = null;
        StringBuilder body = new StringBuilder();
        for (String line : output.split("\n", -1)) {
            if (line.startsWith("== ")) {
                if (key != null) {
                    out.put(key, body.toString().strip());
                }
                key = line.substring(3).strip();
                body.setLength(0);
            } else {
                body.append(line).append('\n');
            }
        }
        if (key != null) {
            out.put(key, body.toString().strip());
        }
        return out;
    }

    /** The pod namespace's mangle, nat and raw tables (without counters and comments), policy rules and table 133. */
    private String namespaceState() throws Exception {
        String mangle = "";
        for (String table : List.of("mangle", "nat", "raw")) {
            mangle += run(inNs(pod, "iptables-save", "-t", table)).output.lines()
                    .filter(l -> !l.startsWith("#")).map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "")).reduce("", (x, y) -> x + y + "\n");
        }
        // an emptied table and one never made list the same routes: none
        String table = run(inNs(pod, "ip", "-4", "route", "show", "table", "133")).output.lines()
                .filter(l -> !l.startsWith("Error:") && !l.startsWith("Dump terminated")).reduce("", (x, y) -> x + y + "\n");
        String v6 = "";
        if (run(List.of("sh", "-c", "command -v ip6tables-save")).code == 0) {
            for (String t : List.of("mangle", "nat", "raw")) {
                v6 += run(inNs(pod, "ip6tables-save", "-t", t)).output.lines()
                        .filter(l -> !l.startsWith("#")).map(l -> l.replaceAll("\\[\\d+:\\d+\\]", "")).reduce("", (x, y) -> x + y + "\n");
            }
        }
        String table6 = run(inNs(pod, "ip", "-6", "route", "show", "table", "133")).output.lines()
                .filter(l -> !l.startsWith("Error:") && !l.startsWith("Dump terminated")).reduce("", (x, y) -> x + y + "\n");
        return mangle + run(inNs(pod, "ip", "-4", "rule")).output + table + v6 + run(inNs(pod, "ip", "-6", "rule")).output + table6
                + run(inNs(pod, "ip", "-6", "addr", "show", "dev", "lo")).output;
    }

    private static List<String> inNs(String ns, String... cmd) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        out.addAll(List.of(cmd));
        return out;
    }

    private static List<String> inNs(String ns, List<String> cmd) {
        return inNs(ns, cmd.toArray(String[]::new));
    }

    private static String[] java(Class<?> main, String... args) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", classpath, main.getName()));
        cmd.addAll(List.of(args));
        return cmd.toArray(String[]::new);
    }

    private Process start(String name, List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        processes.add(p);
        return p;
    }

    private String log(String name) throws IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private void awaitLog(String name, String text) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .failFast(name + " exited:\n" + name, () -> processes.stream().anyMatch(p -> !p.isAlive()))
                .until(() -> log(name).contains(text));
    }

    private static boolean netAdmin() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 12)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    private record Result(int code, String output) {
    }

    private static void must(List<String> cmd) throws Exception {
        Result r = run(cmd);
        if (r.code != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + r.output);
        }
    }

    private static Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
        }
        return new Result(p.exitValue(), out);
    }
}
