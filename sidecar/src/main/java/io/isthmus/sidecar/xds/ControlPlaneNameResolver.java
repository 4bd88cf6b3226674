package io.isthmus.sidecar.xds;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import io.isthmus.sidecar.endpoint.HostResolver;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * gRPC name resolution of the controller's address ({@code dns:///host:port}, what
 * {@code NettyChannelBuilder.forAddress} makes) with a {@link HostResolver} instead of grpc-java's
 * JDK resolver, so the ADS and CA channels resolve the controller's name the way the proxy's
 * STRICT_DNS clusters do (when the proxy runs a DNS proxy: through its upstream, never through
 * the DNS proxy itself). Each resolution runs on the channel's offload executor; a failure is
 * reported as {@code UNAVAILABLE} naming the host, and the channel retries with backoff.
 */
final class ControlPlaneNameResolver extends NameResolver {
    private final String host;
    private final int port;
    private final String authority;
    private final HostResolver resolver;
    private final SynchronizationContext sync;
    private final Executor executor;
    private Listener2 listener;
    private boolean resolving;
    private boolean shutdown;

    private ControlPlaneNameResolver(String host, int port, String authority, HostResolver resolver, Args args) {
        this.host = host;
        this.port = port;
        this.authority = authority;
        this.resolver = resolver;
        this.sync = args.getSynchronizationContext();
        Executor offload = args.getOffloadExecutor();
        this.executor = offload != null ? offload : ForkJoinPool.commonPool();
    }

    /** The provider for channels whose target is a {@code host:port} (scheme {@code dns}). */
    static NameResolverProvider provider(HostResolver resolver) {
        Objects.requireNonNull(resolver, "resolver");
        return new NameResolverProvider() {
            @Override
            protected boolean isAvailable() {
                return true;
            }

            @Override
            protected int priority() {
                return 5;
            }

            @Override
            public String getDefaultScheme() {
                return "dns";
            }

            @Override
            public NameResolver newNameResolver(URI target, Args args) {
                if (!"dns".equals(target.getScheme())) {
                    return null;
                }
                String path = Objects.requireNonNull(target.getPath(), "target path");
                String authority = path.startsWith("/") ? path.substring(1) : path;
                URI hostPort = URI.create("//" + authority);
                if (hostPort.getHost() == null) {
                    throw new IllegalArgumentException("controller address '" + authority + "' is not host:port");
                }
                int port = hostPort.getPort() > 0 ? hostPort.getPort() : args.getDefaultPort();
                String h = hostPort.getHost();
                if (h.startsWith("[") && h.endsWith("]")) {
                    h = h.substring(1, h.length() - 1);
                }
                return new ControlPlaneNameResolver(h, port, authority, resolver, args);
            }
        };
    }

    @Override
    public String getServiceAuthority() {
        return authority;
    }

    @Override
    public void start(Listener2 l) {
        this.listener = Objects.requireNonNull(l, "listener");
        resolve();
    }

    @Override
    public void refresh() {
        resolve();
    }

    private void resolve() {
        if (resolving || shutdown || listener == null) {
            return;
        }
        resolving = true;
        executor.execute(() -> {
            List<EquivalentAddressGroup> groups = new ArrayList<>();
            Status error = null;
            try {
                for (InetAddress a : resolver.resolve(host)) {
                    groups.add(new EquivalentAddressGroup(new InetSocketAddress(a, port)));
                }
            } catch (Exception e) {
                error = Status.UNAVAILABLE.withDescription("cannot resolve the controller's name " + host + ": "
                        + e.getMessage()).withCause(e);
            }
            Status failed = error;
            sync.execute(() -> {
                resolving = false;
                if (shutdown) {
                    return;
                }
                if (failed != null) {
                    listener.onError(failed);
                } else {
                    listener.onResult2(ResolutionResult.newBuilder().setAddresses(groups).build());
                }
            });
        });
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }
}
