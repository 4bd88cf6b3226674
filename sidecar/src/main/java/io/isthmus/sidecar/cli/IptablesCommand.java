package io.isthmus.sidecar.cli;

import io.isthmus.sidecar.capture.CaptureMode;
import io.isthmus.sidecar.capture.CaptureRules;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code isthmus iptables} command: sets up (or removes) capture of the current network
 * namespace's TCP to the proxy's ports 15001 (outbound) and 15006 (inbound) with iptables REDIRECT
 * or TPROXY, as {@link CaptureRules} describes, and with {@code --redirect-dns} the app's UDP DNS to
 * the proxy's DNS proxy (15053). Needs root (CAP_NET_ADMIN) and iptables (REDIRECT: the nat table;
 * TPROXY: the TPROXY target and socket match; DNS capture: the nat table, the raw table and the CT target).
 */
@Command(
        name = "iptables",
        mixinStandardHelpOptions = true,
        version = "isthmus iptables 0.1.0-SNAPSHOT",
        description = {
            "Capture this network namespace's TCP for the proxy: inbound TCP to",
            "15006, outbound TCP to 15001, with iptables REDIRECT (nat table, as",
            "Istio's default) or TPROXY (mangle table and policy routing). Run it",
            "inside the pod's network namespace as root (CAP_NET_ADMIN). In TPROXY",
            "mode the proxy then needs CAP_NET_ADMIN or CAP_NET_RAW for its",
            "transparent sockets; in REDIRECT mode it needs no privilege.",
            "With --redirect-dns the app's UDP DNS queries (any destination, port",
            "53) go to the proxy's DNS proxy on 127.0.0.1:15053 (isthmus proxy",
            "--dns-address 127.0.0.1:15053 --dns-upstream <cluster DNS>).",
            "",
            "Examples:",
            "  ip netns exec pod1 isthmus iptables --proxy-gid 1337",
            "  ip netns exec pod1 isthmus iptables --proxy-gid 1337 --redirect-dns",
            "  ip netns exec pod1 isthmus iptables --mode TPROXY --proxy-gid 1337",
            "  ip netns exec pod1 isthmus iptables --ipv6",
            "  ip netns exec pod1 isthmus iptables --proxy-gid '' \\",
            "      --include-outbound-ip-ranges 10.96.0.0/12",
            "  ip netns exec pod1 isthmus iptables --clean",
            "",
            "Exit codes: 0 done, 1 failed (reason printed), 2 wrong usage."})
public final class IptablesCommand implements Callable<Integer> {

    @Option(names = {"-m", "--mode"}, defaultValue = "REDIRECT", paramLabel = "MODE",
            description = "REDIRECT or TPROXY, as the proxy's INTERCEPTION_MODE says (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--inbound-capture-port", defaultValue = "15006", paramLabel = "PORT", description = "Inbound capture port (default: ${DEFAULT-VALUE}).")
    int inboundPort;

    @Option(names = "--outbound-capture-port", defaultValue = "15001", paramLabel = "PORT", description = "Outbound capture port (default: ${DEFAULT-VALUE}).")
    int outboundPort;

    @Option(names = "--proxy-gid", defaultValue = "1337", paramLabel = "GID",
            description = "The proxy's group: its own traffic is never captured (default: ${DEFAULT-VALUE}; '' for none).")
    String proxyGid;

    @Option(names = "--proxy-uid", defaultValue = "", paramLabel = "UID", description = "The proxy's user: its own traffic is never captured (default: none).")
    String proxyUid;

    @Option(names = "--include-outbound-ip-ranges", defaultValue = "*", split = ",", paramLabel = "CIDR",
            description = "Outbound destinations captured, comma separated; * for all (default: ${DEFAULT-VALUE}).")
    List<String> includeOutbound;

    @Option(names = "--exclude-outbound-ip-ranges", split = ",", paramLabel = "CIDR", description = "Outbound destinations never captured.")
    List<String> excludeOutbound = new ArrayList<>();

    @Option(names = "--exclude-inbound-ports", split = ",", paramLabel = "PORT",
            description = "Inbound ports never captured, besides the proxy's own 15000,15001,15006,15020,15021,15090.")
    List<Integer> excludeInboundPorts = new ArrayList<>();

    @Option(names = "--no-inbound", description = "Do not capture inbound traffic.")
    boolean noInbound;

    @Option(names = "--mark", defaultValue = "1337", paramLabel = "MARK", description = "TPROXY: packet mark of captured traffic (default: ${DEFAULT-VALUE}).")
    int mark;

    @Option(names = "--route-table", defaultValue = "133", paramLabel = "TABLE", description = "TPROXY: policy-routing table (default: ${DEFAULT-VALUE}).")
    int routeTable;

    @Option(names = "--ipv6", description = {"Also capture IPv6 (dual stack): the same rules with ip6tables, ::6 added to lo",
            "for the inbound passthrough (Istio's ENABLE_INBOUND_IPV6)."})
    boolean ipv6;

    @Option(names = "--redirect-dns", description = {"Also capture the app's UDP DNS: queries to port 53, whatever their",
            "destination, are redirected to the DNS proxy on --dns-capture-port (the proxy's own",
            "excluded by --proxy-gid/--proxy-uid), with conntrack zones in the raw table that keep",
            "the app's DNS flows and the proxy's upstream ones apart (Istio's --redirect-dns)."})
    boolean redirectDns;

    @Option(names = "--dns-capture-port", paramLabel = "PORT",
            description = "With --redirect-dns: the DNS proxy's port on 127.0.0.1 (and ::1) (default: 15053).")
    Integer dnsCapturePort;

    @Option(names = "--dry-run", description = "Print the iptables-restore input and the ip commands; change nothing.")
    boolean dryRun;

    @Option(names = "--clean", description = "Remove the capture of either mode (the ISTHMUS_* chains, their jumps, the ip rule and route, DNS capture).")
    boolean clean;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@link CaptureRules} components and the flags that set them, for error messages. */
    private static final String[][] FLAGS = {
        {"includeOutboundRanges", "--include-outbound-ip-ranges"}, {"excludeOutboundRanges", "--exclude-outbound-ip-ranges"},
        {"excludeInboundPorts", "--exclude-inbound-ports"}, {"inboundPort", "--inbound-capture-port"},
        {"outboundPort", "--outbound-capture-port"}, {"dnsCapturePort", "--dns-capture-port"}, {"redirectDns", "--redirect-dns"}};

    /** Istio's DNS capture port, where the proxy's DNS proxy listens ({@code --dns-address 127.0.0.1:15053}). */
    public static final int DEFAULT_DNS_CAPTURE_PORT = 15053;

    /** Runs {@code iptables} on its own: {@code java -cp ... io.isthmus.sidecar.cli.IptablesCommand ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new IptablesCommand()).execute(args));
    }

    /** The rules these flags describe; throws {@link CommandLine.ParameterException} for bad values. */
    CaptureRules rules() {
        try {
            CaptureMode m;
            try {
                m = CaptureMode.parse(mode);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--mode: " + e.getMessage());
            }
            if (dnsCapturePort != null && !redirectDns) {
                throw new IllegalArgumentException("--dns-capture-port: needs --redirect-dns (it is where DNS is redirected)");
            }
            CaptureRules r = new CaptureRules(m, inboundPort, outboundPort, mark, routeTable, excludeInboundPorts, id(proxyGid, "--proxy-gid"),
                    id(proxyUid, "--proxy-uid"), includeOutbound, excludeOutbound, !noInbound);
            return redirectDns ? r.withDnsCapture(dnsCapturePort == null ? DEFAULT_DNS_CAPTURE_PORT : dnsCapturePort) : r;
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            for (String[] f : FLAGS) {
                m = m.replace(f[0] + ":", f[1] + ":");
            }
            throw new CommandLine.ParameterException(spec.commandLine(), m);
        }
    }

    private OptionalInt id(String s, String flag) {
        if (s == null || s.isBlank()) {
            return OptionalInt.empty();
        }
        try {
            int v = Integer.parseInt(s.trim());
            if (v < 0) {
                throw new NumberFormatException();
            }
            return OptionalInt.of(v);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + ": '" + s + "' is not a numeric id");
        }
    }

    @Override
    public Integer call() {
        CaptureRules r = rules();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (dryRun) {
            if (clean) {
                cleanCommands(r).forEach(c -> out.println(String.join(" ", c)));
            } else {
                out.println("# iptables-restore --noflush <<EOF");
                out.print(r.iptablesRestoreInput());
                out.println("# EOF");
                r.ipAdd().forEach(c -> out.println(String.join(" ", c)));
                if (ipv6) {
                    out.println("# ip6tables-restore --noflush <<EOF");
                    out.print(r.ip6tablesRestoreInput());
                    out.println("# EOF");
                    r.ip6Add().forEach(c -> out.println(String.join(" ", c)));
                }
            }
            out.flush();
            return 0;
        }
        String problem = prerequisites();
        if (problem == null && ipv6 && !clean && (!onPath("ip6tables") || !onPath("ip6tables-restore"))) {
            problem = "--ipv6 needs ip6tables and ip6tables-restore (Debian/Ubuntu: apt-get install iptables)";
        }
        if (problem != null) {
            err.println("isthmus iptables: " + problem);
            err.flush();
            return 1;
        }
        try {
            if (clean) {
                List<String> left = remove(r);
                if (!left.isEmpty()) {
                    left.forEach(l -> err.println("isthmus iptables: " + l));
                    err.flush();
                    return 1;
                }
                out.println("capture removed");
                out.flush();
                return 0;
            }
            remove(r); // a second run replaces the capture instead of adding its jumps twice
            Result restore = run(List.of("iptables-restore", "--noflush"), r.iptablesRestoreInput());
            if (restore.code != 0) {
                remove(r);
                err.println("isthmus iptables: iptables-restore failed: " + restore.output.strip()
                        + (r.mode() == CaptureMode.TPROXY
                                ? " (the kernel needs the TPROXY target and socket match: modules xt_TPROXY, xt_socket, xt_mark)"
                                : " (the kernel needs the nat table and the REDIRECT target: modules nf_nat, xt_REDIRECT, xt_owner)")
                        + (r.dnsCapturePort().isPresent() ? " (--redirect-dns also needs the raw table and the CT target: modules iptable_raw, xt_CT)" : ""));
                err.flush();
                return 1;
            }
            List<List<String>> ip = new ArrayList<>(r.ipAdd());
            if (ipv6) {
                Result restore6 = run(List.of("ip6tables-restore", "--noflush"), r.ip6tablesRestoreInput());
                if (restore6.code != 0) {
                    remove(r);
                    err.println("isthmus iptables: ip6tables-restore failed: " + restore6.output.strip());
                    err.flush();
                    return 1;
                }
                ip.addAll(r.ip6Add());
            }
            for (List<String> c : ip) {
                Result res = run(c, null);
                if (res.code != 0 && !res.output.toLowerCase(java.util.Locale.ROOT).contains("file exists")) {
                    remove(r);
                    err.println("isthmus iptables: '" + String.join(" ", c) + "' failed: " + res.output.strip());
                    err.flush();
                    return 1;
                }
            }
            out.println("capture installed: " + r.mode() + (ipv6 ? " IPv4+IPv6" : " IPv4") + ", inbound TCP -> " + inboundPort + ", outbound TCP -> " + outboundPort
                    + (r.mode() == CaptureMode.TPROXY ? " (mark 0x" + Integer.toHexString(mark) + ", table " + routeTable + ")" : "")
                    + r.dnsCapturePort().stream().mapToObj(p -> ", UDP DNS -> " + p).findFirst().orElse(""));
            out.flush();
            return 0;
        } catch (IOException e) {
            err.println("isthmus iptables: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    /** Removes whatever part of the capture is present; returns what could not be removed. */
    private static List<String> remove(CaptureRules r) throws IOException {
        List<String> left = new ArrayList<>();
        for (List<String> c : cleanCommands(r)) {
            if (c.get(0).equals("ip6tables") && !onPath("ip6tables")) {
                continue; // no IPv6 firewall here, so no IPv6 capture to remove
            }
            Result res = run(c, null);
            if (res.code != 0 && !absent(res.output)) {
                left.add("'" + String.join(" ", c) + "' failed: " + res.output.strip());
            }
        }
        return left;
    }

    /** Everything that removes a capture of either mode and family, in order. */
    private static List<List<String>> cleanCommands(CaptureRules r) {
        List<List<String>> all = new ArrayList<>(CaptureRules.cleanIptables());
        all.addAll(r.ipDelete());
        all.addAll(CaptureRules.cleanIp6tables());
        all.addAll(r.ip6Delete());
        return all;
    }

    /** Whether a failed delete failed only because the thing was not there. */
    private static boolean absent(String output) {
        String o = output.toLowerCase(java.util.Locale.ROOT);
        return o.contains("no chain") || o.contains("does a matching rule exist") || o.contains("no such file")
                || o.contains("does not exist") || o.contains("bad rule") || o.contains("no such process")
                || o.contains("cannot assign requested address") || o.contains("address not found") || o.isBlank();
    }

    /** Null when this process can change the namespace's firewall and routing, else what to do. */
    private static String prerequisites() {
        if (!onPath("iptables") || !onPath("iptables-restore")) {
            return "iptables and iptables-restore are not installed (Debian/Ubuntu: apt-get install iptables); "
                    + "use --dry-run to see the rules";
        }
        if (!onPath("ip")) {
            return "the ip command is not installed (Debian/Ubuntu: apt-get install iproute2)";
        }
        if (!root()) {
            return "must run as root (or with CAP_NET_ADMIN) inside the pod's network namespace, "
                    + "e.g. sudo ip netns exec <ns> isthmus iptables ...; use --dry-run to see the rules";
        }
        return null;
    }

    private static boolean root() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << 12)) != 0; // CAP_NET_ADMIN
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    private static boolean onPath(String cmd) {
        return which(cmd) != null;
    }

    /** The executable {@code cmd} on PATH or in the sbin directories (often not on a user's PATH); null when absent. */
    private static Path which(String cmd) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin:/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, cmd))) {
                return Path.of(dir, cmd);
            }
        }
        return null;
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command, String stdin) throws IOException {
        List<String> resolved = new ArrayList<>(command);
        Path exe = which(command.get(0));
        if (exe != null) {
            resolved.set(0, exe.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(resolved).redirectErrorStream(true);
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", command) + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted running " + String.join(" ", command));
        }
        return new Result(p.exitValue(), output);
    }
}
