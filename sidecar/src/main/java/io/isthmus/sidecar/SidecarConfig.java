package io.isthmus.sidecar;

import io.isthmus.mesh.WellKnownPorts;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything {@link Sidecar#start(SidecarConfig)} needs, the programmatic form of the flags of
 * {@code isthmus proxy}. Build with {@link #builder(Path)}.
 *
 * @param bootstrap      the Envoy bootstrap file, YAML or JSON ({@code --bootstrap})
 * @param mode           sidecar or router ({@code --mode}); default {@link Mode#SIDECAR}
 * @param caAddress      {@code host:port} of the CA ({@code --ca-address}); empty = the {@code xds-grpc} endpoint
 * @param tokenFile      bearer token for the CSR ({@code --token-file}); re-read on every CSR
 * @param rootCert       PEM roots verifying the controller and peers until SDS {@code ROOTCA} ({@code --root-cert})
 * @param certDir        static {@code cert-chain.pem key.pem root-cert.pem}, watched, instead of the CA ({@code --cert-dir})
 * @param adminAddress   admin bind address, default 127.0.0.1 (loopback only)
 * @param adminPort      admin port ({@code --admin-port}, default 15000; 0 = any free port)
 * @param healthAddress  health and metrics bind address, default 0.0.0.0
 * @param healthPort     {@code /healthz/ready} port ({@code --health-port}, default 15021; 0 = any free port)
 * @param metricsPort    {@code /stats/prometheus} port ({@code --metrics-port}, default 15090; 0 = any free port)
 * @param dnsAddress     where the DNS proxy listens ({@code --dns-address}); empty = off
 * @param dnsUpstream    the DNS server the DNS proxy forwards names outside the mesh to, and that the proxy's own
 *                       lookups go to ({@code --dns-upstream}); empty = the first {@code nameserver} of
 *                       {@code /etc/resolv.conf} that is not the DNS proxy; only with {@code dnsAddress}
 * @param dnsNoUpstream  {@code --dns-upstream none}: the DNS proxy has no upstream resolver on purpose (names
 *                       outside the mesh are NXDOMAIN, the proxy's own lookups use the hosts file only);
 *                       only with {@code dnsAddress}, never with {@code dnsUpstream}
 * @param certTtl        the certificate lifetime asked of the CA, default 24 h
 * @param drainTime      how long open connections may finish when the proxy stops or an update removes or
 *                       rebinds their listener, and how long a removed cluster keeps its pools; default 5 s
 */
public record SidecarConfig(Path bootstrap, Mode mode, Optional<String> caAddress, Optional<Path> tokenFile,
                            Optional<Path> rootCert, Optional<Path> certDir, String adminAddress, int adminPort,
                            String healthAddress, int healthPort, int metricsPort,
                            Optional<InetSocketAddress> dnsAddress, Optional<InetSocketAddress> dnsUpstream,
                            boolean dnsNoUpstream, Duration certTtl, Duration drainTime) {

    /** What the proxy is: an application sidecar or a gateway (Envoy's {@code router} node type). */
    public enum Mode {
        /** Beside an application: outbound and inbound listeners. */
        SIDECAR,
        /** A gateway (east-west, ingress, egress). */
        ROUTER
    }

    public SidecarConfig {
        Objects.requireNonNull(bootstrap, "bootstrap");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(caAddress, "caAddress");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(rootCert, "rootCert");
        Objects.requireNonNull(certDir, "certDir");
        Objects.requireNonNull(adminAddress, "adminAddress");
        Objects.requireNonNull(healthAddress, "healthAddress");
        Objects.requireNonNull(dnsAddress, "dnsAddress");
        Objects.requireNonNull(dnsUpstream, "dnsUpstream");
        Objects.requireNonNull(certTtl, "certTtl");
        Objects.requireNonNull(drainTime, "drainTime");
        checkPort("adminPort", adminPort);
        checkPort("healthPort", healthPort);
        checkPort("metricsPort", metricsPort);
        if (certTtl.isNegative() || certTtl.isZero()) {
            throw new IllegalArgumentException("certTtl: must be positive, got " + certTtl);
        }
        if (drainTime.isNegative()) {
            throw new IllegalArgumentException("drainTime: negative");
        }
        if (dnsUpstream.isPresent() && dnsAddress.isEmpty()) {
            throw new IllegalArgumentException("dnsUpstream: given without dnsAddress (it is the DNS proxy's upstream)");
        }
        if (dnsUpstream.isPresent() && (dnsUpstream.get().isUnresolved() || dnsUpstream.get().getPort() == 0)) {
            throw new IllegalArgumentException("dnsUpstream: must be an IP address and a port 1..65535, got " + dnsUpstream.get());
        }
        if (dnsNoUpstream && dnsAddress.isEmpty()) {
            throw new IllegalArgumentException("dnsUpstream: none given without dnsAddress (it is the DNS proxy's upstream)");
        }
        if (dnsNoUpstream && dnsUpstream.isPresent()) {
            throw new IllegalArgumentException("dnsUpstream: both none and " + dnsUpstream.get());
        }
        if (certDir.isEmpty() && rootCert.isEmpty()) {
            throw new IllegalArgumentException("rootCert: required unless certDir is given (the controller must be verified)");
        }
    }

    private static void checkPort(String name, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(name + ": out of range " + port);
        }
    }

    /** A builder with the defaults above. */
    public static Builder builder(Path bootstrap) {
        return new Builder(bootstrap);
    }

    /** Builds a {@link SidecarConfig}. */
    public static final class Builder {
        private final Path bootstrap;
        private Mode mode = Mode.SIDECAR;
        private String caAddress;
        private Path tokenFile;
        private Path rootCert;
        private Path certDir;
        private String adminAddress = "127.0.0.1";
        private int adminPort = WellKnownPorts.ADMIN;
        private String healthAddress = "0.0.0.0";
        private int healthPort = WellKnownPorts.HEALTH;
        private int metricsPort = WellKnownPorts.METRICS;
        private InetSocketAddress dnsAddress;
        private InetSocketAddress dnsUpstream;
        private boolean dnsNoUpstream;
        private Duration certTtl = Duration.ofHours(24);
        private Duration drainTime = Duration.ofSeconds(5);

        private Builder(Path bootstrap) {
            this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
        }

        public Builder mode(Mode v) { this.mode = v; return this; }
        public Builder caAddress(String v) { this.caAddress = v; return this; }
        public Builder tokenFile(Path v) { this.tokenFile = v; return this; }
        public Builder rootCert(Path v) { this.rootCert = v; return this; }
        public Builder certDir(Path v) { this.certDir = v; return this; }
        public Builder adminAddress(String v) { this.adminAddress = v; return this; }
        public Builder adminPort(int v) { this.adminPort = v; return this; }
        public Builder healthAddress(String v) { this.healthAddress = v; return this; }
        public Builder healthPort(int v) { this.healthPort = v; return this; }
        public Builder metricsPort(int v) { this.metricsPort = v; return this; }
        public Builder dnsAddress(InetSocketAddress v) { this.dnsAddress = v; return this; }
        public Builder dnsUpstream(InetSocketAddress v) { this.dnsUpstream = v; return this; }
        public Builder dnsNoUpstream(boolean v) { this.dnsNoUpstream = v; return this; }
        public Builder certTtl(Duration v) { this.certTtl = v; return this; }
        public Builder drainTime(Duration v) { this.drainTime = v; return this; }

        /** Builds and validates. */
        public SidecarConfig build() {
            return new SidecarConfig(bootstrap, mode, Optional.ofNullable(caAddress), Optional.ofNullable(tokenFile),
                    Optional.ofNullable(rootCert), Optional.ofNullable(certDir), adminAddress, adminPort,
                    healthAddress, healthPort, metricsPort, Optional.ofNullable(dnsAddress), Optional.ofNullable(dnsUpstream),
                    dnsNoUpstream, certTtl, drainTime);
        }
    }
}
