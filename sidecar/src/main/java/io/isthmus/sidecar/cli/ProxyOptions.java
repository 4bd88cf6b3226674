package io.isthmus.sidecar.cli;

import io.isthmus.sidecar.SidecarConfig;
import io.isthmus.sidecar.bootstrap.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The flags every proxy process shares, whether it runs as a sidecar, a router or an east-west
 * gateway: the bootstrap, where the certificate comes from, the admin, health and metrics
 * listeners, the certificate lifetime and the drain time. A picocli mixin
 * ({@code @Mixin ProxyOptions proxy;}) of {@code isthmus proxy} and {@code isthmus gateway}.
 */
public final class ProxyOptions {

    @Option(names = "--bootstrap", required = true, paramLabel = "FILE",
            description = "Envoy bootstrap, YAML or JSON: node, static_resources, dynamic_resources.ads_config -> cluster xds-grpc.")
    Path bootstrap;

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

    @Option(names = "--cert-ttl", defaultValue = "24h", description = "Certificate lifetime asked of the CA: 90s, 30m, 24h (default: ${DEFAULT-VALUE}).")
    String certTtl;

    @Option(names = "--drain-time", defaultValue = "5s", description = "How long open connections may finish their requests when the proxy stops, or when an update removes or rebinds their listener; also how long a removed cluster keeps its pools (default: ${DEFAULT-VALUE}; 0s: close at once).")
    String drainTime;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /**
     * A configuration builder holding these flags for a proxy in {@code mode}; the caller may add
     * its own settings before {@link #build}.
     *
     * @throws CommandLine.ParameterException naming the flag whose value is bad
     */
    public SidecarConfig.Builder builder(SidecarConfig.Mode mode) {
        SidecarConfig.Builder b = SidecarConfig.builder(bootstrap)
                .mode(mode)
                .caAddress(caAddress)
                .tokenFile(tokenFile)
                .rootCert(rootCert)
                .certDir(certDir)
                .adminAddress(adminAddress).adminPort(adminPort)
                .healthAddress(healthAddress).healthPort(healthPort).metricsPort(metricsPort)
                .certTtl(duration("--cert-ttl", certTtl))
                .drainTime(duration("--drain-time", drainTime));
        if (caAddress != null) {
            hostPort("--ca-address", caAddress);
        }
        return b;
    }

    /**
     * Builds the configuration, turning a refused combination into a usage error that names the flag.
     *
     * @throws CommandLine.ParameterException when the configuration is refused
     */
    public SidecarConfig build(SidecarConfig.Builder builder) {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().replace("rootCert:", "--root-cert:").replace("certDir", "--cert-dir"));
        }
    }

    /** A usage error of the command these options belong to. */
    public CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(mixee.commandLine(), message);
    }

    /** {@code value} of {@code flag} as {@code host:port}, or a usage error naming the flag. */
    public HostPort hostPort(String flag, String value) {
        try {
            return HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw usage(flag + ": " + e.getMessage());
        }
    }

    /** {@code value} of {@code flag} as a duration ({@link #parseDuration}), or a usage error naming the flag. */
    public Duration duration(String flag, String value) {
        try {
            return parseDuration(value);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw usage(flag + ": not a duration like 500ms, 90s, 30m, 24h: '" + value + "'");
        }
    }

    /**
     * A duration written as a number and a unit: {@code 500ms}, {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}.
     *
     * @throws NumberFormatException or {@link StringIndexOutOfBoundsException} when it is not one
     */
    public static Duration parseDuration(String value) {
        String s = value.trim().toLowerCase(Locale.ROOT);
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
}
