package io.isthmus.sidecar.xds;

import static io.isthmus.sidecar.xds.XdsResourceType.LISTENER;
import static io.isthmus.sidecar.xds.XdsResourceType.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.isthmus.mesh.XdsNames;
import io.isthmus.sidecar.bootstrap.HostPort;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.testing.GatewayXds;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SDS for gateway credentials: the proxy subscribes to every secret its listeners reference besides
 * {@code ROOTCA} (never {@code default}), holds a listener until its secrets have arrived, hands them to
 * the data plane before the listener, and goes ahead without them after the warming timeout.
 */
class SecretWarmingTest {
    static final String REVIEWS = "reviews.default.svc.cluster.local";

    final FakeControlPlane cp = new FakeControlPlane();
    final RecordingSink sink = new RecordingSink();
    final List<Map<String, Secret>> meshSecrets = new CopyOnWriteArrayList<>();
    XdsClient client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        cp.close();
    }

    void connect(Duration warming) {
        NodeInfo node = new NodeInfo(Node.newBuilder().setId("router~10.1.0.9~ingress-0.istio-system~istio-system.svc.cluster.local").build());
        ConfigApplier applier = new ConfigApplier(sink, (s, v) -> meshSecrets.add(s), new ResourceStore(), Clock.systemUTC());
        client = new XdsClient(node, ControlPlaneChannel.open(new HostPort("127.0.0.1", cp.port()), Optional.empty(), "x"),
                applier, new XdsClientOptions(Duration.ofMillis(50), Duration.ofMillis(400), warming), new Random(1),
                new SimpleMeterRegistry());
        client.start();
    }

    static Listener gatewayListener() {
        return GatewayXds.listener("0.0.0.0_443", "0.0.0.0", 443,
                GatewayXds.chain(List.of("a.example.com"), Optional.of(GatewayXds.tls("kubernetes://a-cred",
                        Optional.of("kubernetes://a-cred-cacert"))), GatewayXds.hcmFilter(GatewayXds.hcm("https.443", 0))));
    }

    static Secret cert(String name) {
        return Secret.newBuilder().setName(name).setTlsCertificate(TlsCertificate.newBuilder()
                .setCertificateChain(DataSource.newBuilder().setInlineBytes(ByteString.copyFromUtf8("chain")))
                .setPrivateKey(DataSource.newBuilder().setInlineBytes(ByteString.copyFromUtf8("key")))).build();
    }

    static Secret ca(String name) {
        return Secret.newBuilder().setName(name).setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setInlineBytes(ByteString.copyFromUtf8("ca")))).build();
    }

    Snapshot snapshot(String version, List<Secret> secrets) {
        String cluster = Resources.clusterName(9080, REVIEWS);
        return Snapshot.create(List.of(Resources.edsCluster(cluster)), List.of(Resources.endpoints(cluster, "10.1.0.7", 9080)),
                List.of(gatewayListener()), List.of(Resources.route(9080, REVIEWS)), secrets, version);
    }

    List<String> subscribedSecrets() {
        List<DiscoveryRequest> sds = cp.requests.stream().filter(r -> r.getTypeUrl().equals(SECRET.typeUrl())).toList();
        return sds.isEmpty() ? List.of() : sds.get(sds.size() - 1).getResourceNamesList();
    }

    @Test
    void aListenerWaitsForItsSecretsWhichArriveBeforeIt() throws Exception {
        cp.start(0);
        cp.set(snapshot("1", List.of()));
        connect(Duration.ofSeconds(60));

        await().atMost(Duration.ofSeconds(30)).until(() -> subscribedSecrets().containsAll(
                List.of("kubernetes://a-cred", "kubernetes://a-cred-cacert", XdsNames.ROOT_SECRET)));
        assertThat(subscribedSecrets()).doesNotContain(XdsNames.WORKLOAD_SECRET);
        assertThat(sink.of(LISTENER)).as("held until its secrets arrive").isEmpty();

        // the fake control plane (ADS mode) answers only once it holds every name asked for, ROOTCA included
        cp.set(snapshot("2", List.of(cert("kubernetes://a-cred"), ca("kubernetes://a-cred-cacert"), ca(XdsNames.ROOT_SECRET))));
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.of(LISTENER).containsKey("0.0.0.0_443"));
        assertThat(sink.of(SECRET)).containsOnlyKeys("kubernetes://a-cred", "kubernetes://a-cred-cacert");
        assertThat(sink.order.indexOf(SECRET)).as("secrets before the listener that uses them")
                .isLessThan(sink.order.indexOf(LISTENER));
    }

    @Test
    void aSecretThatNeverComesHoldsTheListenerOnlyUntilTheWarmingTimeout() throws Exception {
        cp.start(0);
        cp.set(snapshot("1", List.of()));
        connect(Duration.ofMillis(500));

        await().atMost(Duration.ofSeconds(30)).until(() -> sink.of(LISTENER).containsKey("0.0.0.0_443"));
        assertThat(sink.of(SECRET)).isEmpty();
    }
}
