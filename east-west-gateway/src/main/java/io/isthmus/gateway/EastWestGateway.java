package io.isthmus.gateway;

import io.isthmus.gateway.xds.GatewayEngine;
import io.isthmus.sidecar.Sidecar;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running east-west gateway: the sidecar's proxy assembly (bootstrap, certificate from the mesh
 * CA, ADS to the controller as a {@code router} node, admin on 15000, health on 15021, metrics on
 * 15090) with the {@link GatewayEngine} as its data plane, serving SNI passthrough on 15443.
 *
 * <p>Start with {@link #start(GatewayConfig)}; it returns once the passthrough listener is bound.
 * The gateway refuses every connection until the controller's first endpoints arrive
 * ({@link #whenReady()}), then passes connections for the services of its network.
 */
public final class EastWestGateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EastWestGateway.class);

    private final Sidecar proxy;
    private final GatewayEngine engine;
    private final CompletableFuture<Void> ready;

    private EastWestGateway(Sidecar proxy, GatewayEngine engine) {
        this.proxy = proxy;
        this.engine = engine;
        this.ready = CompletableFuture.allOf(engine.firstEndpoints(), certificate(proxy));
        ready.thenRun(() -> LOG.info("gateway ready {} passthrough={}", proxy.bootstrap().node().logContext(), passthroughAddress()));
    }

    private static CompletableFuture<Void> certificate(Sidecar proxy) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (proxy.certificates().certificate().isPresent()) {
            f.complete(null);
        } else {
            proxy.certificates().onCertificate(c -> f.complete(null));
            if (proxy.certificates().certificate().isPresent()) {
                f.complete(null);
            }
        }
        return f;
    }

    /**
     * Starts a gateway.
     *
     * @throws Exception what the proxy assembly throws for a bad bootstrap or certificate files,
     *     or a {@link GatewayException} when the passthrough address cannot be bound
     */
    public static EastWestGateway start(GatewayConfig config) throws Exception {
        Objects.requireNonNull(config, "config");
        AtomicReference<GatewayEngine> engine = new AtomicReference<>();
        Sidecar proxy = Sidecar.start(config.proxy(), ctx -> {
            GatewayEngine e = GatewayEngine.start(ctx, config.passthrough(), config.fixedRoutes());
            engine.set(e);
            return e;
        });
        return new EastWestGateway(proxy, engine.get());
    }

    /** Where the passthrough listener is bound (the real port when 0 was asked for). */
    public InetSocketAddress passthroughAddress() {
        return engine.server().localAddress();
    }

    /** True once the gateway has its certificate and the controller's first endpoints. */
    public boolean ready() {
        return ready.isDone();
    }

    /** Completes when the gateway first becomes {@linkplain #ready() ready}. */
    public CompletableFuture<Void> whenReady() {
        return ready;
    }

    /** The data plane: routing table, metrics, outlier state. */
    public GatewayEngine engine() {
        return engine;
    }

    /** The proxy assembly underneath (ports, certificates, xDS state). */
    public Sidecar proxy() {
        return proxy;
    }

    /** The bound admin port. */
    public int adminPort() {
        return proxy.adminPort();
    }

    /** The bound health port. */
    public int healthPort() {
        return proxy.healthPort();
    }

    /** The bound metrics port. */
    public int metricsPort() {
        return proxy.metricsPort();
    }

    /** Stops the ADS stream, the passthrough listener (closing its connections) and the servers. */
    @Override
    public void close() {
        proxy.close();
    }
}
