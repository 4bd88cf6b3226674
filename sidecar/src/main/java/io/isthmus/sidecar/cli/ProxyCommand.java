package io.isthmus.sidecar.cli;

import io.isthmus.sidecar.Sidecar;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.bootstrap.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
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
            "Example:",
            "  isthmus proxy --bootstrap bootstrap.yaml --root-cert root-cert.pem --token-file token \\",
            "      --dns-address 127.0.0.1:53",
            "",
            "Stops gracefully on SIGTERM or Ctrl-C. Exit codes: 0 stopped, 1 failed to start (reason printed), 2 wrong usage."})
public final class ProxyCommand implements Callable<Integer> {

    @Option(names = "--bootstrap", required = true, paramLabel = "FILE",
            description = "Envoy bootstrap, YAML or JSON: node, static_resources, dynamic_resources.ads_config -> cluster xds-grpc.")
    Path bootstrap;

    @Option(names = "--mode", defaultValue = "sidecar", paramLabel = "MODE", description = "sidecar or router (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--ca-address", paramLabel = "HOST:PORT", description = "The CA (default: the xds-grpc endpoint).")
    String caAddress;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token sent with the CSR; re-read on every renewal.")
    Path tokenFile;

    @Option(names = "--root-cert", paramLabel = "FILE", description = "Mesh root(s), PEM: verify the controller and peers until ROOTCA arrives by SDS.")
    Path rootCert;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "Static cert-chain.pem key.pem root-cert.pem instead of the CA; watched.")
    Path certDir;

    @Option(names = "--admin-address", defaultValue = "127.0.0.1", description = "Admin bind address (default: ${DEFAULT-VALUE}).")
    String adminAddress;

    @Option(names = "--admin-port", defaultValue = "15000", description = "Admin port (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(names = "--health-address", defaultValue = "0.0.0.0", description = "Health and metrics bind address (default: ${DEFAULT-VALUE}).")
    String healthAddress;

    @Option(names = "--health-port", defaultValue = "15021", description = "Readiness port, /healthz/ready (default: ${DEFAULT-VALUE}).")
    int healthPort;

    @Option(names = "--metrics-port", defaultValue = "15090", description = "Prometheus port, /stats/prometheus (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--dns-address", paramLabel = "HOST:PORT", description = "Run the DNS proxy here (off when not given), e.g. 127.0.0.1:53.")
    String dnsAddress;

    @Option(names = "--cert-ttl", defaultValue = "24h", description = "Certificate lifetime asked of the CA: 90s, 30m, 24h (default: ${DEFAULT-VALUE}).")
    String certTtl;

    @Option(names = "--drain-time", defaultValue = "5s", description = "How long requests in flight may finish on shutdown (default: ${DEFAULT-VALUE}).")
    String drainTime;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code proxy} on its own: {@code java -cp ... io.isthmus.sidecar.cli.ProxyCommand --bootstrap ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyCommand()).execute(args));
    }

    /** The configuration these flags describe; throws {@link CommandLine.ParameterException} for bad values. */
    SidecarConfig config() {
        SidecarConfig.Builder b = SidecarConfig.builder(bootstrap)
                .mode(parseMode(mode))
                .caAddress(caAddress)
                .tokenFile(tokenFile)
                .rootCert(rootCert)
                .certDir(certDir)
                .adminAddress(adminAddress).adminPort(adminPort)
                .healthAddress(healthAddress).healthPort(healthPort).metricsPort(metricsPort)
                .certTtl(duration("--cert-ttl", certTtl))
                .drainTime(duration("--drain-time", drainTime));
        if (caAddress != null) {
            parse("--ca-address", caAddress);
        }
        if (dnsAddress != null) {
            HostPort hp = parse("--dns-address", dnsAddress);
            b.dnsAddress(new InetSocketAddress(hp.host(), hp.port()));
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage()
                    .replace("rootCert:", "--root-cert:").replace("certDir", "--cert-dir"));
        }
    }

    private SidecarConfig.Mode parseMode(String m) {
        return switch (m.toLowerCase(Locale.ROOT)) {
            case "sidecar" -> SidecarConfig.Mode.SIDECAR;
            case "router" -> SidecarConfig.Mode.ROUTER;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--mode: expected sidecar or router, got '" + m + "'");
        };
    }

    private HostPort parse(String flag, String v) {
        try {
            return HostPort.parse(v);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), flag + ": " + e.getMessage());
        }
    }

    private Duration duration(String flag, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            return switch (s.charAt(s.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> throw new NumberFormatException();
            };
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    flag + ": not a duration like 500ms, 90s, 30m, 24h: '" + v + "'");
        }
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
