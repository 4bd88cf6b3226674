package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.trust.CertifiedKey;
import io.isthmus.trust.SpiffeId;
import io.isthmus.trust.pem.Pem;
import io.isthmus.trust.testing.TestPki;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gateway credentials over a real ADS stream (mTLS, the proxy's workload certificate): the
 * ingress gateway of {@code istio-system} gets {@code kubernetes://a-cert} and its CA from the
 * Kubernetes Secret of its cluster's API server (fabric8 mock, CRUD mode), gets the new certificate
 * pushed when the Secret changes, and a proxy whose certificate names another namespace gets none.
 */
class GatewayCredentialsTest {
    private static final List<String> NAMES = List.of("kubernetes://a-cert", "kubernetes://a-cert-cacert");

    @TempDir
    Path dir;
    private TestPki pki;
    private MockApiServer api;
    private Controller controller;

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "east");
        api = new MockApiServer();
        api.client().namespaces().resource(KubeObjects.namespace("istio-system", Map.of())).create();
        api.client().secrets().resource(tlsSecret("a-cert", issue("a.example.com"))).create();
        Path kubeconfig = dir.resolve("east.kubeconfig");
        Files.writeString(kubeconfig, api.kubeconfig("east", "t"));
        controller = Controller.start(ControllerConfig.builder("east", "net-east", pki.cacertsDir("east"))
                .kubeconfig(kubeconfig).listenAddress("127.0.0.1").secureXdsPort(0).monitoringPort(0)
                .pushDebounce(Duration.ofMillis(20)).sharedState(ControllerConfig.SharedState.IN_MEMORY).build());
        controller.ready().get(30, java.util.concurrent.TimeUnit.SECONDS); // proxies are refused until then
        controller.meshConfig().upsert("test", ConfigFiles.parse("""
                apiVersion: networking.istio.io/v1
                kind: Gateway
                metadata: {name: public, namespace: istio-system}
                spec:
                  selector: {istio: ingressgateway}
                  servers:
                  - port: {number: 8443, name: https, protocol: HTTPS}
                    hosts: [a.example.com]
                    tls: {mode: MUTUAL, credentialName: a-cert}
                """, "test").get(0));
    }

    @AfterEach
    void stop() {
        controller.close();
        api.close();
    }

    @Test
    void theGatewaysOwnNamespaceGetsItsSecretAndItsUpdatesAndNoOtherNamespaceDoes() throws Exception {
        try (AdsTestClient gw = client(pki.workload("east", "istio-system", "istio-ingressgateway"), "istio-ingressgateway")) {
            gw.subscribe(XdsType.LISTENER.typeUrl(), List.of());
            DiscoveryResponse lds = gw.next(XdsType.LISTENER.typeUrl(), r -> r.getResourcesCount() == 1);
            assertThat(lds.getResources(0).unpack(Listener.class).getName()).isEqualTo("0.0.0.0_8443");
            gw.ack(lds, List.of());

            gw.subscribe(XdsType.SECRET.typeUrl(), NAMES);
            DiscoveryResponse sds = awaitSds(gw, r -> r.getResourcesCount() == 2);
            Map<String, Secret> secrets = secrets(sds);
            assertThat(secrets).containsOnlyKeys(NAMES);
            String first = pem(secrets.get("kubernetes://a-cert"));
            assertThat(first).contains("BEGIN CERTIFICATE");
            assertThat(secrets.get("kubernetes://a-cert").getTlsCertificate().getPrivateKey().getInlineBytes().toStringUtf8())
                    .contains("PRIVATE KEY");
            assertThat(secrets.get("kubernetes://a-cert-cacert").getValidationContext().getTrustedCa().getInlineBytes()
                    .toStringUtf8()).isEqualTo(Pem.encode(pki.rootCertificate()));

            // the Secret is rotated in the API server: the new certificate is pushed
            CertifiedKey rotated = issue("a.example.com");
            api.client().secrets().resource(tlsSecret("a-cert", rotated)).update();
            DiscoveryResponse pushed = awaitSds(gw,
                    r -> r.getResourcesCount() == 2 && !pem(secrets(r).get("kubernetes://a-cert")).equals(first));
            assertThat(pem(secrets(pushed).get("kubernetes://a-cert"))).isEqualTo(rotated.chainPem());

            // the debug dump shows the secrets without their private key
            String dump = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + controller.monitoringPort() + "/debug/config_dump?proxy=ingress-0&type=secrets")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(dump).contains("kubernetes://a-cert", "[redacted]").doesNotContain(b64(rotated.privateKeyPem()));
        }
        // a proxy that claims istio-system in its node but whose certificate says default
        try (AdsTestClient other = client(pki.workload("east", "default", "intruder"), "")) {
            other.subscribe(XdsType.SECRET.typeUrl(), NAMES);
            DiscoveryResponse sds = other.next(XdsType.SECRET.typeUrl(), r -> true);
            assertThat(sds.getResourcesCount()).isZero();
        }
    }

    /** ACKs every SDS response (as a proxy does, so the next one may follow) until one satisfies {@code p}. */
    private static DiscoveryResponse awaitSds(AdsTestClient c, java.util.function.Predicate<DiscoveryResponse> p)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            DiscoveryResponse r = c.next(XdsType.SECRET.typeUrl(), x -> true);
            c.ack(r, NAMES);
            if (p.test(r)) {
                return r;
            }
        }
        throw new AssertionError("no SDS response matched within 30 s");
    }

    private AdsTestClient client(CertifiedKey me, String serviceAccount) throws Exception {
        var ssl = GrpcSslContexts.forClient()
                .trustManager(new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)))
                .keyManager(new ByteArrayInputStream(me.chainPem().getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(me.privateKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
        Struct.Builder md = Struct.newBuilder()
                .putFields(ProxyMetadata.CLUSTER_ID, str("east"))
                .putFields(ProxyMetadata.NETWORK, str("net-east"))
                .putFields(ProxyMetadata.NAMESPACE, str("istio-system"))
                .putFields(ProxyMetadata.LABELS, Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("istio", str("ingressgateway"))).build());
        if (!serviceAccount.isEmpty()) {
            md.putFields(ProxyMetadata.SERVICE_ACCOUNT, str(serviceAccount));
        }
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("router", "10.1.0.50", "ingress-0", "istio-system"))
                .setMetadata(md).build();
        return new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", controller.secureXdsPort())
                .overrideAuthority("isthmus-controller.isthmus-system.svc").sslContext(ssl).build(), node);
    }

    private CertifiedKey issue(String host) {
        return pki.authority("east").issueServer(SpiffeId.of("cluster.local", "istio-system", "edge"), List.of(host),
                Duration.ofHours(1));
    }

    private io.fabric8.kubernetes.api.model.Secret tlsSecret(String name, CertifiedKey k) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("istio-system").endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", b64(k.chainPem()))
                .addToData("tls.key", b64(k.privateKeyPem()))
                .addToData("ca.crt", b64(Pem.encode(pki.rootCertificate())))
                .build();
    }

    private static Map<String, Secret> secrets(DiscoveryResponse r) {
        return r.getResourcesList().stream().map(a -> {
            try {
                return a.unpack(Secret.class);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).collect(Collectors.toMap(Secret::getName, s -> s));
    }

    private static String pem(Secret s) {
        return s.getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
