package io.isthmus.gateway.listener;

import io.isthmus.mesh.sni.ClientHelloParser;
import io.isthmus.mesh.WellKnownPorts;
import java.time.Duration;
import java.util.Objects;

/**
 * The passthrough listener's settings. Build with {@link #builder()}; every field has a default.
 *
 * @param bindAddress listening address; default {@code 0.0.0.0}
 * @param port listening port, 0 = any free port; default 15443
 * @param helloTimeout how long a client has to deliver its complete ClientHello; default 10 s
 * @param connectTimeout per endpoint connect attempt; default 1 s
 * @param idleTimeout a relayed connection with no bytes either way for this long is closed; default 1 h
 * @param maxConnections concurrent downstream connections; default 16384
 * @param connectionsPerSecondPerSource sustained new connections per second per source IP; default 200
 * @param burstPerSource extra connections a source may open at once; default 400
 * @param maxHelloSize largest ClientHello body accepted, bytes; default 64 KiB
 * @param maxConnectAttempts endpoints tried per connection before giving up; default 5
 * @param writeBufferHighWater bytes queued towards one side before reading from the other pauses; default 256 KiB
 * @param relayMode how bytes are moved once relaying; default {@link RelayMode#AUTO}
 * @param spliceEndpointBuffer the send and receive buffer sizes ({@code SO_SNDBUF}, {@code SO_RCVBUF}) of the
 *     endpoint-side socket of a spliced direction, bytes; 0 leaves the kernel's autotuning; default
 *     {@value #DEFAULT_SPLICE_ENDPOINT_BUFFER}. The client side, which crosses networks, always keeps the kernel's
 *     autotuning, whose windows a long round trip needs
 * @param ioThreads event loops; 0 = one per core (available processors); default 0
 */
public record PassthroughOptions(String bindAddress, int port, Duration helloTimeout, Duration connectTimeout,
        Duration idleTimeout, int maxConnections, int connectionsPerSecondPerSource, int burstPerSource,
        int maxHelloSize, int maxConnectAttempts, int writeBufferHighWater, RelayMode relayMode, int ioThreads,
        int spliceEndpointBuffer) {

    /**
     * The default endpoint-side socket buffer of a spliced direction: spliced pages then wait in a short queue and are
     * copied out while still in cache, where the kernel's autotuned buffers (megabytes) let them go cold
     * (bench/RESULTS.md, "gateway"); at 0.5 ms between gateway and pod it allows 4 Gbit/s per connection.
     */
    public static final int DEFAULT_SPLICE_ENDPOINT_BUFFER = 256 * 1024;

    public PassthroughOptions {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(relayMode, "relayMode");
        positive(helloTimeout, "helloTimeout");
        positive(connectTimeout, "connectTimeout");
        positive(idleTimeout, "idleTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        atLeast(maxConnections, 1, "maxConnections");
        atLeast(connectionsPerSecondPerSource, 1, "connectionsPerSecondPerSource");
        atLeast(burstPerSource, 1, "burstPerSource");
        atLeast(maxConnectAttempts, 1, "maxConnectAttempts");
        atLeast(writeBufferHighWater, 4096, "writeBufferHighWater");
        atLeast(ioThreads, 0, "ioThreads");
        if (spliceEndpointBuffer != 0 && (spliceEndpointBuffer < 16 * 1024 || spliceEndpointBuffer > 64 * 1024 * 1024)) {
            throw new IllegalArgumentException("spliceEndpointBuffer must be 0 (the kernel's autotuning) or 16 KiB..64 MiB, got "
                    + spliceEndpointBuffer);
        }
        if (maxHelloSize < 64 || maxHelloSize > ClientHelloParser.PROTOCOL_MAX_HELLO_SIZE) {
            throw new IllegalArgumentException("maxHelloSize must be 64.." + ClientHelloParser.PROTOCOL_MAX_HELLO_SIZE + ", got " + maxHelloSize);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void atLeast(int v, int min, String name) {
        if (v < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ", got " + v);
        }
    }

    /** A builder holding the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bindAddress = bindAddress;
        b.port = port;
        b.helloTimeout = helloTimeout;
        b.connectTimeout = connectTimeout;
        b.idleTimeout = idleTimeout;
        b.maxConnections = maxConnections;
        b.connectionsPerSecondPerSource = connectionsPerSecondPerSource;
        b.burstPerSource = burstPerSource;
        b.maxHelloSize = maxHelloSize;
        b.maxConnectAttempts = maxConnectAttempts;
        b.writeBufferHighWater = writeBufferHighWater;
        b.relayMode = relayMode;
        b.spliceEndpointBuffer = spliceEndpointBuffer;
        b.ioThreads = ioThreads;
        return b;
    }

    /** Builds {@link PassthroughOptions}. */
    public static final class Builder {
        private String bindAddress = "0.0.0.0";
        private int port = WellKnownPorts.EAST_WEST_PASSTHROUGH;
        private Duration helloTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration idleTimeout = Duration.ofHours(1);
        private int maxConnections = 16_384;
        private int connectionsPerSecondPerSource = 200;
        private int burstPerSource = 400;
        private int maxHelloSize = ClientHelloParser.DEFAULT_MAX_HELLO_SIZE;
        private int maxConnectAttempts = 5;
        private int writeBufferHighWater = 256 * 1024;
        private RelayMode relayMode = RelayMode.AUTO;
        private int spliceEndpointBuffer = DEFAULT_SPLICE_ENDPOINT_BUFFER;
        private int ioThreads;

        private Builder() {
        }

        public Builder bindAddress(String v) {
            bindAddress = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder helloTimeout(Duration v) {
            helloTimeout = v;
            return this;
        }

        public Builder connectTimeout(Duration v) {
            connectTimeout = v;
            return this;
        }

        public Builder idleTimeout(Duration v) {
            idleTimeout = v;
            return this;
        }

        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        public Builder connectionsPerSecondPerSource(int v) {
            connectionsPerSecondPerSource = v;
            return this;
        }

        public Builder burstPerSource(int v) {
            burstPerSource = v;
            return this;
        }

        public Builder maxHelloSize(int v) {
            maxHelloSize = v;
            return this;
        }

        public Builder maxConnectAttempts(int v) {
            maxConnectAttempts = v;
            return this;
        }

        public Builder writeBufferHighWater(int v) {
            writeBufferHighWater = v;
            return this;
        }

        public Builder relayMode(RelayMode v) {
            relayMode = v;
            return this;
        }

        public Builder spliceEndpointBuffer(int v) {
            spliceEndpointBuffer = v;
            return this;
        }

        public Builder ioThreads(int v) {
            ioThreads = v;
            return this;
        }

        public PassthroughOptions build() {
            return new PassthroughOptions(bindAddress, port, helloTimeout, connectTimeout, idleTimeout, maxConnections,
                    connectionsPerSecondPerSource, burstPerSource, maxHelloSize, maxConnectAttempts, writeBufferHighWater,
                    relayMode, ioThreads, spliceEndpointBuffer);
        }
    }
}
