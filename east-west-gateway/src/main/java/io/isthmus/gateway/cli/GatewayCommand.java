package io.isthmus.gateway.cli;

import io.isthmus.gateway.EastWestGateway;
import io.isthmus.gateway.GatewayConfig;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.listener.RelayMode;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.bootstrap.HostPort;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code isthmus gateway} command: runs one east-west gateway. */
@Command(
        name = "gateway",
        mixinStandardHelpOptions = true,
        version = "isthmus gateway 0.1.0-SNAPSHOT",
        description = {
            "Run an east-west gateway, the door into this cluster network: it reads the",
            "server name of each mTLS connection on the passthrough port without",
            "decrypting it and passes the bytes to a local endpoint of that mesh service,",
            "as the controller's xDS names them for its network.",
            "",
            "Example:",
            "  isthmus gateway --bootstrap gw.yaml --root-cert root-cert.pem \\",
            "      --token-file token --passthrough-address 10.255.0.2 \\",
            "      --controller-address 10.2.0.1:15012",
            "",
            "The bootstrap's node has type router (router~<ip>~<pod>.<ns>~<ns>.svc...)",
            "and metadata REQUESTED_NETWORK_VIEW=<its network>.",
            "Stops gracefully on SIGTERM or Ctrl-C.",
            "Exit codes: 0 stopped, 1 failed to start (reason printed), 2 wrong usage."})
public final class GatewayCommand implements Callable<Integer> {

    @Option(names = "--bootstrap", required = true, paramLabel = "FILE",
            description = "Envoy bootstrap, YAML or JSON: node (type router), dynamic_resources.ads_config -> cluster xds-grpc.")
    Path bootstrap;

    @Option(names = "--ca-address", paramLabel = "HOST:PORT", description = "The CA (default: the xds-grpc endpoint).")
    String caAddress;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token sent with the CSR; re-read on every renewal.")
    Path tokenFile;

    @Option(names = "--root-cert", paramLabel = "FILE", description = "Mesh root(s), PEM: verify the controller until ROOTCA arrives.")
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

    @Option(names = "--cert-ttl", defaultValue = "24h", description = "Certificate lifetime asked of the CA (default: ${DEFAULT-VALUE}).")
    String certTtl;

    @Option(names = "--drain-time", defaultValue = "5s", description = "Shutdown drain time (default: ${DEFAULT-VALUE}).")
    String drainTime;

    @Option(names = "--passthrough-address", defaultValue = "0.0.0.0", description = "Passthrough bind address (default: ${DEFAULT-VALUE}).")
    String passthroughAddress;

    @Option(names = "--passthrough-port", defaultValue = "15443", description = "Passthrough port (default: ${DEFAULT-VALUE}).")
    int passthroughPort;

    @Option(names = "--controller-address", paramLabel = "HOST:PORT",
            description = "Pass server name " + GatewayConfig.CONTROLLER_SNI + " to this controller xDS/CA address (primary-remote); off when not given.")
    String controllerAddress;

    @Option(names = "--hello-timeout", defaultValue = "10s", description = "Deadline for a complete ClientHello (default: ${DEFAULT-VALUE}).")
    String helloTimeout;

    @Option(names = "--connect-timeout", defaultValue = "1s", description = "Per endpoint connect timeout (default: ${DEFAULT-VALUE}).")
    String connectTimeout;

    @Option(names = "--idle-timeout", defaultValue = "1h", description = "Close relayed connections idle this long (default: ${DEFAULT-VALUE}).")
    String idleTimeout;

    @Option(names = "--max-connections", defaultValue = "16384", description = "Concurrent connections (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--max-connection-rate-per-source", defaultValue = "200",
            description = "New connections per second per source IP, burst twice that (default: ${DEFAULT-VALUE}).")
    int connectionRate;

    @Option(names = "--relay", defaultValue = "auto",
            description = "auto (copy, then splice(2) a direction after 1 MiB), splice or copy (default: ${DEFAULT-VALUE}).")
    String relay;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code gateway} on its own: {@code java -cp ... io.isthmus.gateway.cli.GatewayCommand --bootstrap ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new GatewayCommand()).execute(args));
    }

    /** The configuration these flags describe; throws {@link CommandLine.ParameterException} for bad values. */
    GatewayConfig config() {
        SidecarConfig proxy;
        try {
            if (caAddress != null) {
                parse("--ca-address", caAddress);
            }
            proxy = SidecarConfig.builder(bootstrap).mode(SidecarConfig.Mode.ROUTER)
                    .caAddress(caAddress).tokenFile(tokenFile).rootCert(rootCert).certDir(certDir)
                    .adminAddress(adminAddress).adminPort(adminPort)
                    .healthAddress(healthAddress).healthPort(healthPort).metricsPort(metricsPort)
                    .certTtl(duration("--cert-ttl", certTtl)).drainTime(duration("--drain-time", drainTime)).build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().replace("rootCert:", "--root-cert:").replace("certDir", "--cert-dir"));
        }
        PassthroughOptions passthrough;
        try {
            passthrough = PassthroughOptions.builder().bindAddress(passthroughAddress).port(passthroughPort)
                    .helloTimeout(duration("--hello-timeout", helloTimeout))
                    .connectTimeout(duration("--connect-timeout", connectTimeout))
                    .idleTimeout(duration("--idle-timeout", idleTimeout))
                    .maxConnections(maxConnections)
                    .connectionsPerSecondPerSource(connectionRate).burstPerSource(Math.max(1, 2 * connectionRate))
                    .relayMode(relayMode()).build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        GatewayConfig config = GatewayConfig.of(proxy, passthrough);
        if (controllerAddress != null) {
            HostPort hp = parse("--controller-address", controllerAddress);
            config = config.withControllerPassthrough(new InetSocketAddress(hp.host(), hp.port()));
        }
        return config;
    }

    private RelayMode relayMode() {
        try {
            return RelayMode.valueOf(relay.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw usage("--relay: expected auto, splice or copy, got '" + relay + "'");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private HostPort parse(String flag, String v) {
        try {
            return HostPort.parse(v);
        } catch (IllegalArgumentException e) {
            throw usage(flag + ": " + e.getMessage());
        }
    }

    static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
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
    }

    private Duration duration(String flag, String v) {
        try {
            return parseDuration(v);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw usage(flag + ": not a duration like 500ms, 90s, 30m, 24h: '" + v + "'");
        }
    }

    @Override
    public Integer call() {
        GatewayConfig config = config();
        EastWestGateway gateway;
        try {
            gateway = EastWestGateway.start(config);
        } catch (Exception e) {
            spec.commandLine().getErr().println("isthmus gateway: cannot start: " + e.getMessage());
            return 1;
        }
        spec.commandLine().getOut().println("isthmus gateway: passthrough on " + gateway.passthroughAddress()
                + ", health :" + gateway.healthPort() + ", metrics :" + gateway.metricsPort());
        spec.commandLine().getOut().flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }, "isthmus-gateway-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            gateway.close();
        }
        return 0;
    }
}
