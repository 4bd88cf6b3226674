package io.isthmus.gateway.cli;

import io.isthmus.gateway.EastWestGateway;
import io.isthmus.gateway.GatewayConfig;
import io.isthmus.gateway.listener.PassthroughOptions;
import io.isthmus.gateway.listener.RelayMode;
import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.cli.ProxyOptions;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ProxyOptions proxy;

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

    @Option(names = "--splice-endpoint-buffer", defaultValue = "262144", paramLabel = "BYTES",
            description = "Send/receive buffer of the endpoint-side socket once a direction is spliced; 0 leaves the kernel's "
                    + "autotuning. The client side always keeps it (default: ${DEFAULT-VALUE}).")
    int spliceEndpointBuffer;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs {@code gateway} on its own: {@code java -cp ... io.isthmus.gateway.cli.GatewayCommand --bootstrap ...}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new GatewayCommand()).execute(args));
    }

    /** The configuration these flags describe; throws {@link CommandLine.ParameterException} for bad values. */
    GatewayConfig config() {
        SidecarConfig config = proxy.build(proxy.builder(SidecarConfig.Mode.ROUTER));
        if (spliceEndpointBuffer != 0 && (spliceEndpointBuffer < 16 * 1024 || spliceEndpointBuffer > 64 * 1024 * 1024)) {
            throw proxy.usage("--splice-endpoint-buffer: expected 0 (the kernel's autotuning) or 16384..67108864 bytes, got "
                    + spliceEndpointBuffer);
        }
        PassthroughOptions passthrough;
        try {
            passthrough = PassthroughOptions.builder().bindAddress(passthroughAddress).port(passthroughPort)
                    .helloTimeout(proxy.duration("--hello-timeout", helloTimeout))
                    .connectTimeout(proxy.duration("--connect-timeout", connectTimeout))
                    .idleTimeout(proxy.duration("--idle-timeout", idleTimeout))
                    .maxConnections(maxConnections)
                    .connectionsPerSecondPerSource(connectionRate).burstPerSource(Math.max(1, 2 * connectionRate))
                    .relayMode(relayMode()).spliceEndpointBuffer(spliceEndpointBuffer).build();
        } catch (IllegalArgumentException e) {
            throw proxy.usage(e.getMessage());
        }
        GatewayConfig gateway = GatewayConfig.of(config, passthrough);
        if (controllerAddress != null) {
            HostPort hp = proxy.hostPort("--controller-address", controllerAddress);
            gateway = gateway.withControllerPassthrough(new InetSocketAddress(hp.host(), hp.port()));
        }
        return gateway;
    }

    private RelayMode relayMode() {
        try {
            return RelayMode.valueOf(relay.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw proxy.usage("--relay: expected auto, splice or copy, got '" + relay + "'");
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
