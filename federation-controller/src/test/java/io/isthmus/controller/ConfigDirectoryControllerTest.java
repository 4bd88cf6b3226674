package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.cli.ControllerCommand;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A controller started with {@code --config-dir} (no API server) serving an ingress gateway over a
 * real ADS stream: the Gateway, VirtualService and Secret of the files reach the gateway, an edit of
 * a file is pushed, and a file with a bad document keeps the last good config and reports the file,
 * document, field and reason in {@code /debug/configz}.
 */
class ConfigDirectoryControllerTest {
    private static final String ROUTE = "https.8443.https.public.istio-system";
    private static final String SECRET = "kubernetes://a-cert";

    @TempDir
    Path dir;

    @Test
    void gatewayConfigFromFilesIsServedFollowedAndKeptWhenBroken() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        Path configs = Files.createDirectories(dir.resolve("config"));
        Path registry = dir.resolve("registry.yaml");
        Files.writeString(registry, """
                services:
                - name: ratings
                  namespace: default
                  ports: [{name: http, port: 9080, protocol: HTTP}]
                  workloads:
                  - {address: 10.1.0.20, serviceAccount: ratings}
                """);
        CertifiedKey serving = pki.authority("east").issueServer(SpiffeId.of("cluster.local", "istio-system", "edge"),
                List.of("a.example.com"), Duration.ofHours(1));
        Files.writeString(configs.resolve("secret.yaml"), """
                apiVersion: v1
                kind: Secret
                metadata: {name: a-cert, namespace: istio-system}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                %s
                  tls.key: |
                %s
                """.formatted(indent(serving.chainPem()), indent(serving.privateKeyPem())));
        Path gateway = configs.resolve("gateway.yaml");
        Files.writeString(gateway, gatewayAndRoutes("[a.example.com]", ""));
        Files.writeString(configs.resolve("notes.txt"), "not config");

        ControllerCommand cmd = new ControllerCommand();
        new CommandLine(cmd).parseArgs("--cluster", "east", "--network", "net-east", "--ca-dir", pki.cacertsDir("east").toString(),
                "--config-dir", configs.toString(), "--registry-file", registry.toString(), "--listen-address", "127.0.0.1",
                "--secure-xds-port", "0", "--monitoring-port", "0", "--push-debounce", "20ms", "--shared-state", "IN_MEMORY");
        assertThat(cmd.config().configDir()).contains(configs);
        try (Controller controller = Controller.start(cmd.config());
                AdsTestClient gw = client(pki, controller)) {
            gw.subscribe(XdsType.LISTENER.typeUrl(), List.of());
            DiscoveryResponse lds = gw.next(XdsType.LISTENER.typeUrl(), r -> r.getResourcesCount() == 1);
            assertThat(lds.getResources(0).unpack(Listener.class).getName()).isEqualTo("0.0.0.0_8443");
            gw.ack(lds, List.of());

            gw.subscribe(XdsType.SECRET.typeUrl(), List.of(SECRET));
            DiscoveryResponse sds = gw.next(XdsType.SECRET.typeUrl(), r -> r.getResourcesCount() == 1);
            assertThat(sds.getResources(0).unpack(Secret.class).getTlsCertificate().getCertificateChain().getInlineBytes()
                    .toStringUtf8()).isEqualTo(serving.chainPem());
            gw.ack(sds, List.of(SECRET));

            gw.subscribe(XdsType.ROUTE.typeUrl(), List.of(ROUTE));
            DiscoveryResponse rds = awaitRoutes(gw, r -> hosts(r).equals(List.of("a.example.com:8443")));
            assertThat(routeCluster(rds)).isEqualTo("outbound|9080||ratings.default.svc.cluster.local");

            // an edit of the file is pushed
            Files.writeString(gateway, gatewayAndRoutes("[a.example.com, b.example.com]", ""));
            awaitRoutes(gw, r -> hosts(r).equals(List.of("a.example.com:8443", "b.example.com:8443")));

            // a document with a bad field: rejected with file, document, field and reason; the last good version stays
            Files.writeString(gateway, gatewayAndRoutes("[c.example.com]", "    timeout: banana\n"));
            JsonObject bad = awaitRejection(controller, "VirtualService");
            assertThat(bad.getString("origin")).isEqualTo(gateway + " document 2");
            assertThat(bad.getString("field")).startsWith("spec.http[0]").contains("timeout");
            assertThat(bad.getString("reason")).isNotEmpty();
            assertThat(controller.meshConfig().current().all(io.isthmus.controller.config.VirtualService.class))
                    .singleElement().satisfies(vs -> assertThat(vs.hosts()).containsExactly("a.example.com", "b.example.com"));

            // a document that is not YAML at all: the rest of the file applies, the last good content stays
            Files.writeString(gateway, gatewayAndRoutes("[a.example.com]", "").split("---")[0] + "---\n{{{ not yaml\n");
            JsonObject unreadable = awaitRejection(controller, "Document");
            assertThat(unreadable.getString("origin")).startsWith(gateway + " document ");
            assertThat(controller.meshConfig().current().all(io.isthmus.controller.config.Gateway.class)).hasSize(1);
            assertThat(controller.meshConfig().current().all(io.isthmus.controller.config.VirtualService.class)).hasSize(1);
        }
    }

    private static String gatewayAndRoutes(String vsHosts, String extraRouteField) {
        return """
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: public, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8443, name: https, protocol: HTTPS}
                    hosts: ["*.example.com"]
                    tls: {mode: SIMPLE, credentialName: a-cert}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: ratings, namespace: istio-system}
                spec:
                  hosts: %s
                  gateways: [istio-system/public]
                  http:
                  - route:
                    - destination: {host: ratings.default.svc.cluster.local}
                %s""".formatted(vsHosts, extraRouteField);
    }

    private static JsonObject awaitRejection(Controller controller, String kind) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        return Awaitility.await("a rejected " + kind + " in /debug/configz").atMost(Duration.ofSeconds(15))
                .until(() -> {
                    String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.monitoringPort()
                            + "/debug/configz")).build(), HttpResponse.BodyHandlers.ofString()).body();
                    JsonArray rejected = new JsonObject(body).getJsonArray("rejected");
                    for (int i = 0; i < rejected.size(); i++) {
                        if (kind.equals(rejected.getJsonObject(i).getString("kind"))) {
                            return rejected.getJsonObject(i);
                        }
                    }
                    return null;
                }, java.util.Objects::nonNull);
    }

    /** ACKs every RDS response until one satisfies {@code p}. */
    private static DiscoveryResponse awaitRoutes(AdsTestClient c, Predicate<DiscoveryResponse> p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            DiscoveryResponse r = c.next(XdsType.ROUTE.typeUrl(), x -> true);
            c.ack(r, List.of(ROUTE));
            if (p.test(r)) {
                return r;
            }
        }
        throw new AssertionError("no RDS response matched within 30 s");
    }

    private static List<String> hosts(DiscoveryResponse r) {
        return r.getResourcesList().stream().flatMap(a -> unpack(a).getVirtualHostsList().stream())
                .map(VirtualHost::getName).sorted().toList();
    }

    private static String routeCluster(DiscoveryResponse r) {
        return unpack(r.getResources(0)).getVirtualHosts(0).getRoutes(0).getRoute().getCluster();
    }

    private static RouteConfiguration unpack(com.google.protobuf.Any a) {
        try {
            return a.unpack(RouteConfiguration.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String indent(String pem) {
        return pem.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static AdsTestClient client(TestPki pki, Controller controller) throws Exception {
        CertifiedKey me = pki.workload("east", "istio-system", "istio-ingressgateway");
        var ssl = GrpcSslContexts.forClient()
                .trustManager(new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)))
                .keyManager(new ByteArrayInputStream(me.chainPem().getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(me.privateKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("router", "10.1.0.50", "ingress-0", "istio-system"))
                .setMetadata(Struct.newBuilder()
                        .putFields(ProxyMetadata.CLUSTER_ID, str("east"))
                        .putFields(ProxyMetadata.NETWORK, str("net-east"))
                        .putFields(ProxyMetadata.NAMESPACE, str("istio-system"))
                        .putFields(ProxyMetadata.SERVICE_ACCOUNT, str("istio-ingressgateway"))
                        .putFields(ProxyMetadata.LABELS, Value.newBuilder().setStructValue(Struct.newBuilder()
                                .putFields("istio", str("ingressgateway"))).build()))
                .build();
        return new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", controller.secureXdsPort())
                .overrideAuthority("isthmus-controller.isthmus-system.svc").sslContext(ssl).build(), node);
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
