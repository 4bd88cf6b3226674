package io.isthmus.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.discovery.KubeObjects;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.controller.support.AdsTestClient;
import io.isthmus.controller.xds.XdsType;
import io.isthmus.mesh.MeshLabels;
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
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Primary-remote gateway credentials against two fabric8 mock API servers (CRUD mode): west joins
 * east's controller by remote secret; an ingress gateway of west ({@code CLUSTER_ID=west}) gets
 * {@code kubernetes://a-cert} from west's own Secret, read through the remote secret's kubeconfig,
 * follows its rotation, and loses it when west leaves; east's gateway keeps east's Secret of the
 * same name; a west proxy whose certificate names another namespace gets nothing.
 */
class RemoteGatewayCredentialsTest {
    private static final String NAME = "kubernetes://a-cert";

    @TempDir
    Path dir;
    private TestPki pki;
    private MockApiServer east;
    private MockApiServer west;
    private Controller controller;

    @BeforeEach
    void start() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "east");
        east = new MockApiServer();
        west = new MockApiServer();
        for (MockApiServer api : List.of(east, west)) {
            api.client().namespaces().resource(KubeObjects.namespace("istio-system", Map.of())).create();
        }
        east.client().secrets().resource(tlsSecret("a-cert", issue("east.example.com"))).create();
        west.client().secrets().resource(tlsSecret("a-cert", issue("west.example.com"))).create();
        Path kubeconfig = dir.resolve("east.kubeconfig");
        Files.writeString(kubeconfig, east.kubeconfig("east", "t"));
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
                    hosts: ["*.example.com"]
                    tls: {mode: SIMPLE, credentialName: a-cert}
                """, "test").get(0));
        east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE)
                .resource(RemoteSecrets.remoteSecret("west", west.kubeconfig("west", "t"), MeshLabels.SYSTEM_NAMESPACE)).create();
    }

    @AfterEach
    void stop() {
        controller.close();
        east.close();
        west.close();
    }

    @Test
    void aRemoteClustersGatewayGetsItsOwnClustersSecretUntilTheClusterLeaves() throws Exception {
        try (AdsTestClient westGw = client("west", "istio-system");
                AdsTestClient eastGw = client("east", "istio-system");
                AdsTestClient intruder = client("west", "default")) {
            westGw.subscribe(XdsType.SECRET.typeUrl(), List.of(NAME));
            String first = chain(awaitSds(westGw, r -> hostOf(r).equals("west.example.com")));

            eastGw.subscribe(XdsType.SECRET.typeUrl(), List.of(NAME));
            assertThat(hostOf(awaitSds(eastGw, r -> r.getResourcesCount() == 1))).isEqualTo("east.example.com");

            // rotated in west's API server: pushed to west's gateway
            CertifiedKey rotated = issue("west.example.com");
            west.client().secrets().resource(tlsSecret("a-cert", rotated)).update();
            DiscoveryResponse pushed = awaitSds(westGw, r -> r.getResourcesCount() == 1 && !chain(r).equals(first));
            assertThat(chain(pushed)).isEqualTo(rotated.chainPem());

            // a west proxy that cannot prove istio-system gets nothing
            intruder.subscribe(XdsType.SECRET.typeUrl(), List.of(NAME));
            assertThat(intruder.next(XdsType.SECRET.typeUrl(), r -> true).getResourcesCount()).isZero();

            // west leaves: its Secrets go with it, east's stay
            east.client().secrets().inNamespace(MeshLabels.SYSTEM_NAMESPACE).withName(RemoteSecrets.NAME_PREFIX + "west").delete();
            awaitSds(westGw, r -> r.getResourcesCount() == 0);
            assertThat(controller.meshConfig().current().all(io.isthmus.controller.config.CredentialSecret.class))
                    .extracting(io.isthmus.controller.config.CredentialSecret::cluster).containsExactly("east");
        }
    }

    /** ACKs every SDS response until one satisfies {@code p}. */
    private static DiscoveryResponse awaitSds(AdsTestClient c, Predicate<DiscoveryResponse> p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            DiscoveryResponse r = c.next(XdsType.SECRET.typeUrl(), x -> true);
            c.ack(r, List.of(NAME));
            if (p.test(r)) {
                return r;
            }
        }
        throw new AssertionError("no SDS response matched within 30 s");
    }

    private static String chain(DiscoveryResponse r) {
        try {
            return r.getResources(0).unpack(Secret.class).getTlsCertificate().getCertificateChain().getInlineBytes().toStringUtf8();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The DNS SAN of the leaf of the one secret of a response, or empty. */
    private static String hostOf(DiscoveryResponse r) {
        if (r.getResourcesCount() != 1) {
            return "";
        }
        try {
            var cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(chain(r).getBytes(StandardCharsets.US_ASCII)));
            return cert.getSubjectAlternativeNames().stream().filter(n -> ((Integer) n.get(0)) == 2)
                    .map(n -> (String) n.get(1)).findFirst().orElse("");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private AdsTestClient client(String cluster, String certNamespace) throws Exception {
        CertifiedKey me = pki.workload("east", certNamespace, "istio-ingressgateway");
        var ssl = GrpcSslContexts.forClient()
                .trustManager(new ByteArrayInputStream(Pem.encode(pki.rootCertificate()).getBytes(StandardCharsets.UTF_8)))
                .keyManager(new ByteArrayInputStream(me.chainPem().getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayInputStream(me.privateKeyPem().getBytes(StandardCharsets.UTF_8)))
                .build();
        Struct.Builder md = Struct.newBuilder()
                .putFields(ProxyMetadata.CLUSTER_ID, str(cluster))
                .putFields(ProxyMetadata.NETWORK, str("net-" + cluster))
                .putFields(ProxyMetadata.NAMESPACE, str("istio-system"))
                .putFields(ProxyMetadata.LABELS, Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("istio", str("ingressgateway"))).build());
        if (certNamespace.equals("istio-system")) {
            md.putFields(ProxyMetadata.SERVICE_ACCOUNT, str("istio-ingressgateway"));
        }
        Node node = Node.newBuilder().setId(ProxyMetadata.nodeId("router", "10.9.0.50", "ingress-" + cluster + "-" + certNamespace,
                        "istio-system")).setMetadata(md).build();
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
                .build();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Value str(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }
}
