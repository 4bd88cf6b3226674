package io.isthmus.mesh;

/** The ports of DESIGN.md, one constant each. */
public final class WellKnownPorts {
    /** Sidecar outbound capture (iptables mode). */
    public static final int OUTBOUND_CAPTURE = 15001;
    /** Sidecar inbound capture (iptables mode). */
    public static final int INBOUND_CAPTURE = 15006;
    /** Admin: config dump, clusters, logging. Loopback only. */
    public static final int ADMIN = 15000;
    /** Health: {@code /healthz/ready}. */
    public static final int HEALTH = 15021;
    /** Prometheus metrics: {@code /stats/prometheus}. */
    public static final int METRICS = 15090;
    /** East-west gateway mTLS passthrough. */
    public static final int EAST_WEST_PASSTHROUGH = 15443;
    /** Controller xDS, plaintext (local development only). */
    public static final int XDS_PLAINTEXT = 15010;
    /** Controller xDS and CA over mTLS. */
    public static final int XDS_SECURE = 15012;
    /** Controller metrics and debug endpoints. */
    public static final int CONTROLLER_MONITORING = 15014;
    /** Hazelcast member. */
    public static final int HAZELCAST = 5701;

    private WellKnownPorts() {
    }
}
