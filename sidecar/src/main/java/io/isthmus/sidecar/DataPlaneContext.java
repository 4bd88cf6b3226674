package io.isthmus.sidecar;

import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CertificateSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@link Sidecar} hands the data plane when it starts it.
 *
 * @param vertx        the shared Vert.x instance (event loops, native transport when available)
 * @param node         who this proxy is (id, locality, metadata for telemetry labels)
 * @param mode         sidecar or router (gateway)
 * @param certificates the workload certificate and trust bundle, with change notifications
 * @param meters       the registry scraped on {@code :15090/stats/prometheus}
 * @param drainTime    how long requests in flight may finish on shutdown
 */
public record DataPlaneContext(Vertx vertx, NodeInfo node, SidecarConfig.Mode mode, CertificateSource certificates,
                               MeterRegistry meters, Duration drainTime) {

    public DataPlaneContext {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(certificates, "certificates");
        Objects.requireNonNull(meters, "meters");
        Objects.requireNonNull(drainTime, "drainTime");
        if (drainTime.isNegative()) {
            throw new IllegalArgumentException("drainTime: negative");
        }
    }
}
