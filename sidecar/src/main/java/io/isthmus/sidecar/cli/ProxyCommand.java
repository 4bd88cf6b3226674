package io.isthmus.sidecar.cli;

import io.isthmus.sidecar.Sidecar;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.dns.ResolvConf;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The {@code isthmus proxy} command: runs one sidecar (or, with {@code --mode router}, a gateway proxy). */
@Command(
        name = "proxy",
        mixinStandardHelpOptions = true,
        version = "isthmus proxy 0.1.0-SNAPSHOT",
        description = {
            "Run the Isthmus proxy beside an application: configured by an Envoy bootstrap and the",
            "controller's xDS, with its certificate from the mesh CA (or a certificate directory).",
            "",
            "Examples:",
            "  isthmus proxy --bootstrap bootstrap.yaml --root-cert root-cert.pem --token-file token \\",
            "      --dns-address 127.0.0.1:53 --dns-upstream 10.96.0.10",
            "  # transparent capture with DNS capture (isthmus iptables --redirect-dns): the rules",
            "  # send the app's DNS queries to 127.0.0.1:15053, the rest goes to the cluster DNS",
            "  isthmus proxy --bootstrap bootstrap.yaml --root-cert root-cert.pem --token-file token \\",
            "      --dns-address 127.0.0.1:15053 --dns-upstream 10.96.0.10",
            "  # a pod without any cluster DNS: mesh names only, every other name NXDOMAIN",
            "  isthmus proxy --bootstrap bootstrap.yaml --cert-dir certs \\",
            "      --dns-address 127.0.0.1:53 --dns-upstream none",
            "",
            "Stops gracefully on SIGTERM or Ctrl-C. Exit codes: 0 stopped, 1 failed to start (reason printed), 2 wrong usage."})
public final class ProxyCommand implements Callable<Integer> {

    @Mixin
    ProxyOptions proxy;

    @Option(names = "--mode", defaultValue = "sidecar", paramLabel = "MODE", description = "sidecar or router (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--dns-address", paramLabel = "HOST:PORT", description = "Run the DNS proxy here (off when not given), e.g. 127.0.0.1:53.")
    String dnsAddress;

    @Option(names = "--dns-upstream", paramLabel = "IP[:PORT]|none", description = {
        "Where the DNS proxy sends names outside the mesh, and where the proxy's own lookups go (the controller's",
        "name, DNS clusters), e.g. the cluster DNS 10.96.0.10:53; port 53 when omitted. Default: the first",
        "nameserver of /etc/resolv.conf that is not the DNS proxy itself. 'none': no upstream resolver at all",
        "(a pod without cluster DNS): names outside the mesh are answered NXDOMAIN at once, and the proxy's own",
        "lookups use the hosts file only. Needs --dns-address."})
    String dnsUpstream;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The {@code --dns-upstream} value that means no upstream resolver at all. */
    public static final String NO_UPSTREAM = "none";

    /** Runs {@code proxy} on its own: {@code java -cp ... io.isthmus.sidecar.cli.ProxyCommand --bootstrap ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyCommand()).execute(args));
    }

    /** The configuration these flags describe; throws {@link CommandLine.ParameterException} for bad values. */
    SidecarConfig config() {
        SidecarConfig.Builder b = proxy.builder(parseMode(mode));
        if (dnsAddress != null) {
            HostPort hp = proxy.hostPort("--dns-address", dnsAddress);
            b.dnsAddress(new InetSocketAddress(hp.host(), hp.port()));
        }
        if (dnsUpstream != null) {
            if (dnsAddress == null) {
                throw proxy.usage("--dns-upstream: needs --dns-address (it is the upstream of the DNS proxy)");
            }
            if (dnsUpstream.trim().equalsIgnoreCase(NO_UPSTREAM)) {
                b.dnsNoUpstream(true);
            } else {
                try {
                    b.dnsUpstream(ResolvConf.parseServer(dnsUpstream));
                } catch (IllegalArgumentException e) {
                    throw proxy.usage("--dns-upstream: " + e.getMessage() + " (or 'none')");
                }
            }
        }
        return proxy.build(b);
    }

    private SidecarConfig.Mode parseMode(String m) {
        return switch (m.toLowerCase(Locale.ROOT)) {
            case "sidecar" -> SidecarConfig.Mode.SIDECAR;
            case "router" -> SidecarConfig.Mode.ROUTER;
            default -> throw proxy.usage("--mode: expected sidecar or router, got '" + m + "'");
        };
    }

    @Override
    public Integer call() {
        SidecarConfig config = config();
        Sidecar sidecar;
        try {
            sidecar = Sidecar.start(config);
        } catch (Exception e) {
            spec.commandLine().getErr().println("isthmus proxy: cannot start: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sidecar.close();
            stopped.countDown();
        }, "isthmus-proxy-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sidecar.close();
        }
        return 0;
    }
}
