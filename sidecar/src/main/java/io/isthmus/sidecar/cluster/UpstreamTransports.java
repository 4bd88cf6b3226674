package io.isthmus.sidecar.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The upstream clients of one cluster, one set per distinct TLS its connections may use: the cluster's own
 * {@code transport_socket} and the TLS of each of its {@code transport_socket_matches}. Each set has its
 * HTTP connection pools ({@link ConnectionPools}) and a TCP client, and is built on first use, except that
 * a cluster without socket matches builds its only pools at once. Shared by the configs of a cluster that
 * can keep the same pools ({@link ClusterConfig#samePools}); safe for use from any event loop.
 */
final class UpstreamTransports {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpstreamTransports.class);

    private final Vertx vertx;
    private final ClusterTls clusterTls;
    private final ClusterConfig config;
    /** The distinct TLS settings of the cluster's connections; index 0 is the cluster's own {@code transport_socket}. */
    private final List<Optional<UpstreamTls>> variants;
    /** For each socket match of the config, the index of its TLS in {@link #variants}. */
    private final int[] variantOfMatch;
    /** The clients of each variant, null until first used. */
    private final AtomicReferenceArray<Transport> transports;
    private volatile boolean closed;

    UpstreamTransports(Vertx vertx, ClusterTls clusterTls, ClusterConfig config) {
        this.vertx = vertx;
        this.clusterTls = clusterTls;
        this.config = config;
        List<Optional<UpstreamTls>> distinct = new ArrayList<>();
        distinct.add(config.tls());
        variantOfMatch = new int[config.socketMatches().size()];
        for (int i = 0; i < variantOfMatch.length; i++) {
            Optional<UpstreamTls> tls = config.socketMatches().get(i).tls();
            int at = distinct.indexOf(tls);
            if (at < 0) {
                at = distinct.size();
                distinct.add(tls);
            }
            variantOfMatch[i] = at;
        }
        this.variants = List.copyOf(distinct);
        this.transports = new AtomicReferenceArray<>(variants.size());
        if (variantOfMatch.length == 0) {
            transport(0);
        }
    }

    /** How many distinct TLS settings the cluster's connections may use. */
    int variantCount() {
        return variants.size();
    }

    /** How many of them have clients so far. */
    int variantsInUse() {
        int n = 0;
        for (int i = 0; i < transports.length(); i++) {
            n += transports.get(i) == null ? 0 : 1;
        }
        return n;
    }

    /** The HTTP client of the calling event loop for the connections chosen by a socket match (-1 = none matched). */
    HttpClientAgent client(int socketMatch) {
        return transport(variant(socketMatch)).pools.current();
    }

    /** The TCP client for the connections chosen by a socket match (-1 = none matched), created on first use. */
    NetClient netClient(int socketMatch) {
        return transport(variant(socketMatch)).netClient();
    }

    private int variant(int socketMatch) {
        return socketMatch < 0 ? 0 : variantOfMatch[socketMatch];
    }

    private Transport transport(int variant) {
        Transport t = transports.get(variant);
        if (t != null) {
            return t;
        }
        Transport created = new Transport(variants.get(variant));
        if (!transports.compareAndSet(variant, null, created)) {
            created.close();
            return transports.get(variant);
        }
        if (closed) {
            created.close();
        }
        return created;
    }

    /** Closes every client. */
    void close() {
        closed = true;
        for (int i = 0; i < transports.length(); i++) {
            Transport t = transports.get(i);
            if (t != null) {
                t.close();
            }
        }
    }

    /** The clients of connections with one TLS setting. */
    private final class Transport {
        private final Optional<UpstreamTls> tls;
        private final ConnectionPools pools;
        private final AtomicReference<NetClient> net = new AtomicReference<>();

        Transport(Optional<UpstreamTls> tls) {
            this.tls = tls;
            this.pools = new ConnectionPools(vertx, config.limits(), share -> newClient(tls, share));
        }

        NetClient netClient() {
            NetClient c = net.get();
            if (c != null) {
                return c;
            }
            NetClientOptions o = new NetClientOptions()
                    .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                    .setTcpNoDelay(true);
            config.sourceAddress().ifPresent(o::setLocalAddress);
            clusterTls.apply(o, config.name(), tls);
            NetClient created = VertxOwned.build(vertx, () -> vertx.createNetClient(o));
            if (!net.compareAndSet(null, created)) {
                created.close();
                return net.get();
            }
            if (closed) {
                created.close();
            }
            return created;
        }

        void close() {
            pools.close();
            NetClient c = net.get();
            if (c != null) {
                c.close();
            }
        }

        /** A client whose pools hold {@code 1/share} of the cluster's connection and pending-request limits. */
        private HttpClientAgent newClient(Optional<UpstreamTls> tls, int share) {
            HttpClientOptions options = new HttpClientOptions()
                    .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                    .setKeepAlive(true)
                    .setTcpNoDelay(true)
                    .setTcpKeepAlive(true)
                    .setDecompressionSupported(false)
                    .setMaxHeaderSize(64 * 1024)
                    .setName("cluster:" + config.name());
            int idle = UpstreamCluster.keepAliveSeconds(config.idleTimeout());
            options.setKeepAliveTimeout(idle).setHttp2KeepAliveTimeout(idle);
            config.sourceAddress().ifPresent(options::setLocalAddress);
            switch (config.protocol()) {
                case HTTP_2 -> options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                        .setUseAlpn(tls.isPresent()).setAlpnVersions(List.of(HttpVersion.HTTP_2));
                case AUTO -> {
                    // auto_config needs ALPN to agree on h2: an endpoint reached in plaintext is spoken HTTP/1.1
                    if (tls.isPresent()) {
                        options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)
                                .setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
                    }
                }
                case HTTP_1_1 -> { }
            }
            clusterTls.apply(options, config.name(), tls);
            PoolOptions pool = new PoolOptions()
                    .setHttp1MaxSize(config.limits().maxConnections() / share)
                    .setHttp2MaxSize(Math.max(1, Math.min(4, config.limits().maxConnections() / share)))
                    .setMaxWaitQueueSize(config.limits().maxPendingRequests() / share);
            String cluster = config.name();
            // A connection's own failure (a reset by a killed peer, between requests) fails its requests, which the
            // filter reports; without a handler Vert.x would log each at ERROR, often with no message at all.
            return VertxOwned.build(vertx, () -> vertx.httpClientBuilder().with(options).with(pool)
                    .withConnectHandler(conn -> conn.exceptionHandler(t -> LOG.debug("upstream connection failed [{} {}]: {}",
                            cluster, conn.remoteAddress(), t.toString())))
                    .build());
        }
    }
}
