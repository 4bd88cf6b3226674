package io.isthmus.sidecar.bench;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.isthmus.mesh.OutboundName;
import io.isthmus.sidecar.DataPlane;
import io.isthmus.sidecar.telemetry.NodeIdentity;
import io.isthmus.sidecar.telemetry.ProxyTelemetry;
import io.isthmus.sidecar.testing.Xds;
import io.isthmus.sidecar.tls.TlsMaterial;
import io.isthmus.sidecar.tls.TlsMaterialSource;
import io.isthmus.trust.CertifiedKey;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark sidecar per process.
 * {@code BenchProxy server CERTDIR INBOUND_PORT APP_PORT} or
 * {@code BenchProxy client CERTDIR OUTBOUND_PORT SERVER_INBOUND_PORT EXTRA_CLUSTERS}.
 * {@code -Dbench.upstreamH2=true}: the client sidecar speaks HTTP/2 to the server sidecar (bench/sidecar-rss.sh variant).
 */
public final class BenchProxy {
    public static void main(String[] args) throws Exception {
        Path certs = Path.of(args[1]);
        CertifiedKey key = CertifiedKey.fromPem(Files.readString(certs.resolve("key.pem")),
                Files.readString(certs.resolve("cert-chain.pem")));
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(certs.resolve("root-cert.pem"))));
        TlsMaterialSource.Mutable tls = TlsMaterialSource.mutable();
        tls.set(new TlsMaterial(key.privateKey(), key.chain(), List.of(root)));
        // The proxy's own Vert.x options (two event loops; -Dbench.concurrency=N for N, as a bootstrap's
        // PROXY_CONFIG.concurrency), or with -Dbench.vertxDefaults=true Vert.x's defaults (two event loops per core),
        // as proxies ran before.
        int loops = Integer.getInteger("bench.concurrency", io.isthmus.sidecar.Sidecar.EVENT_LOOPS);
        Vertx vertx = Vertx.vertx(Boolean.getBoolean("bench.vertxDefaults")
                ? new VertxOptions().setPreferNativeTransport(true)
                : io.isthmus.sidecar.Sidecar.vertxOptions().setEventLoopPoolSize(loops));
        ProxyTelemetry telemetry = ProxyTelemetry.standalone(new NodeIdentity(args[0], "default", "east", args[0], "v1"),
                () -> tls.current().map(TlsMaterial::spiffeId).orElse(""));
        DataPlane.Options d0 = DataPlane.Options.of(tls, telemetry);
        DataPlane.Options d = new DataPlane.Options(tls, telemetry, loops, d0.maxBufferedBody(), d0.drainTime(),
                d0.nanoClock(), d0.random());
        DataPlane dp = DataPlane.start(vertx, d);
        int port = Integer.parseInt(args[2]);
        int target = Integer.parseInt(args[3]);
        if (args[0].equals("server")) {
            String cluster = "inbound|" + target + "||";
            dp.clusters().apply(Map.of(cluster, Xds.staticCluster(cluster, "127.0.0.1", target)), "1");
            dp.listeners().apply(Map.of("inbound", Xds.inboundHttp("inbound", "127.0.0.3", port, cluster, true, List.of())), "1");
        } else {
            int extra = Integer.parseInt(args[4]);
            Map<String, Cluster> clusters = new HashMap<>();
            Map<String, ClusterLoadAssignment> endpoints = new HashMap<>();
            for (int i = 0; i <= extra; i++) {
                OutboundName svc = OutboundName.of(i == 0 ? "reviews.default.svc.cluster.local"
                        : "svc" + i + ".default.svc.cluster.local", 9080);
                Cluster c = Xds.edsCluster(svc.clusterName(), svc.sni(),
                        List.of("spiffe://cluster.local/ns/default/sa/" + (i == 0 ? "reviews" : "svc" + i)));
                if (Boolean.getBoolean("bench.upstreamH2")) {
                    // HTTP/2 between the sidecars (Istio's h2UpgradePolicy UPGRADE): one multiplexed mTLS connection per
                    // event loop's pool instead of one per request in flight.
                    c = c.toBuilder().putTypedExtensionProtocolOptions("envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                            Xds.any(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.newBuilder()
                                    .setExplicitHttpConfig(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                                            .ExplicitHttpConfig.newBuilder().setHttp2ProtocolOptions(
                                                    io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions.getDefaultInstance()))
                                    .build())).build();
                }
                clusters.put(svc.clusterName(), c);
                endpoints.put(svc.clusterName(), Xds.cla(svc.clusterName(), Xds.group("z1", 0,
                        Xds.lbEndpoint("127.0.0.3", i == 0 ? target : 20000 + i, 1))));
            }
            dp.clusters().apply(clusters, "1");
            dp.endpoints().apply(endpoints, "1");
            dp.listeners().apply(Map.of("out", Xds.outboundHttp("out", "127.0.0.2", port, "9080")), "1");
            var vhosts = new java.util.ArrayList<io.envoyproxy.envoy.config.route.v3.VirtualHost>();
            for (String name : clusters.keySet()) {
                String host = OutboundName.parseClusterName(name).orElseThrow().host();
                vhosts.add(Xds.vhost(host, List.of(host, host + ":9080"), io.envoyproxy.envoy.config.route.v3.Route.newBuilder()
                        .setMatch(io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(io.envoyproxy.envoy.config.route.v3.RouteAction.newBuilder().setCluster(name)
                                .setRetryPolicy(Xds.meshRetry())).build()));
            }
            dp.routes().apply(Map.of("9080", Xds.routes("9080", vhosts.toArray(new io.envoyproxy.envoy.config.route.v3.VirtualHost[0]))), "1");
        }
        System.out.println("ready " + args[0] + " " + ProcessHandle.current().pid());
        Thread.currentThread().join();
    }
}
