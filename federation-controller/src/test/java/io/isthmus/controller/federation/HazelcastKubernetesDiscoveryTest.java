package io.isthmus.controller.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.isthmus.controller.discovery.MockApiServer;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import java.io.IOException;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hazelcast's Kubernetes discovery against an API server (the fabric8 mock server in CRUD mode over
 * HTTPS, demanding a token): controller members find each other through the EndpointSlices of the
 * named Service, pointing at 127.0.0.1 ports, and share one registry; an unreachable API server or a
 * Service without endpoints gives a clear error or warning, never a hang.
 */
class HazelcastKubernetesDiscoveryTest {

    private static final String NAMESPACE = "isthmus-system";
    private static final String SERVICE = "isthmus-controller-hazelcast";
    private static final String TOKEN = "controller-token";

    private MockApiServer api;
    private final List<HazelcastInstance> members = new ArrayList<>();
    private final List<HazelcastRegistry> registries = new ArrayList<>();

    @BeforeEach
    void startApiServer() {
        api = new MockApiServer();
        api.acceptTokens(TOKEN);
        api.client().services().inNamespace(NAMESPACE).resource(new ServiceBuilder().withNewMetadata().withName(SERVICE)
                .withNamespace(NAMESPACE).endMetadata().withNewSpec().withClusterIP("None")
                .addNewPort().withName("hazelcast").withPort(5701).endPort().endSpec().build()).create();
        // Hazelcast looks up its own pod (named like the host, as in Kubernetes) and that pod's node for the zone.
        api.client().nodes().resource(new NodeBuilder().withNewMetadata().withName("node-a")
                .addToLabels("topology.kubernetes.io/zone", "z1").endMetadata().build()).create();
        api.client().pods().inNamespace(NAMESPACE).resource(new PodBuilder().withNewMetadata().withName(hostname())
                .withNamespace(NAMESPACE).endMetadata().withNewSpec().withNodeName("node-a").endSpec().build()).create();
    }

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }

    @AfterEach
    void stop() {
        registries.forEach(HazelcastRegistry::close);
        members.forEach(HazelcastInstance::shutdown);
        api.close();
    }

    @Test
    void membersFindEachOtherThroughTheServiceEndpointsAndShareTheRegistry() throws Exception {
        int pa = freePort();
        int pb = freePort();
        publishEndpoints("a", pa);
        publishEndpoints("b", pb);

        HazelcastInstance a = start(pa, SERVICE);
        HazelcastInstance b = start(pb, SERVICE);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.getCluster().getMembers().size() == 2
                && b.getCluster().getMembers().size() == 2);

        HazelcastRegistry ra = registry(a);
        HazelcastRegistry rb = registry(b);
        ra.putService(reviews("east", "10.1.0.11"));
        rb.putService(reviews("west", "10.2.0.11"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ra.service("reviews.default.svc.cluster.local")
                .map(s -> s.clusters().keySet().containsAll(List.of("east", "west"))).orElse(false));
        await().atMost(Duration.ofSeconds(30)).until(() -> rb.service("reviews.default.svc.cluster.local")
                .map(s -> s.clusters().keySet().containsAll(List.of("east", "west"))).orElse(false));
    }

    @Test
    void aMemberThatStartedAloneIsJoinedOnceTheServiceListsBoth() throws Exception {
        int pa = freePort();
        int pb = freePort();
        HazelcastInstance a = start(pa, SERVICE);
        assertThat(a.getCluster().getMembers()).hasSize(1);

        publishEndpoints("a", pa);
        publishEndpoints("b", pb);
        HazelcastInstance b = start(pb, SERVICE);
        await().atMost(Duration.ofSeconds(60)).until(() -> a.getCluster().getMembers().size() == 2
                && b.getCluster().getMembers().size() == 2);
    }

    @Test
    void anUnreachableApiServerIsAClearErrorNotAHang() throws Exception {
        int dead = freePort();
        HazelcastOptions.ApiServer unreachable = new HazelcastOptions.ApiServer("https://localhost:" + dead, TOKEN,
                serverCertificatePem());
        int port = freePort();
        // A generous bound that only tells a hang from an answer (Hazelcast alone retries, then fails after ~30 s).
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                () -> HazelcastMember.start(options(port, SERVICE, unreachable)))
                .isInstanceOf(HazelcastMember.DiscoveryException.class)
                .hasMessageContaining("https://localhost:" + dead)
                .hasMessageContaining(NAMESPACE + "/" + SERVICE));
    }

    @Test
    void aTokenTheApiServerRefusesIsAClearError() throws Exception {
        HazelcastOptions.ApiServer refused = new HazelcastOptions.ApiServer("https://localhost:" + port(api.url()),
                "wrong-token", serverCertificatePem());
        assertThatThrownBy(() -> HazelcastMember.start(options(freePort(), SERVICE, refused)))
                .isInstanceOf(HazelcastMember.DiscoveryException.class)
                .hasMessageContaining("401")
                .hasMessageContaining(NAMESPACE + "/" + SERVICE);
    }

    // ---- helpers ----

    private HazelcastInstance start(int port, String service) throws Exception {
        HazelcastInstance hz = HazelcastMember.start(options(port, service, apiServer()));
        members.add(hz);
        return hz;
    }

    private HazelcastRegistry registry(HazelcastInstance hz) {
        HazelcastRegistry r = new HazelcastRegistry(hz).start();
        registries.add(r);
        return r;
    }

    private static HazelcastOptions options(int port, String service, HazelcastOptions.ApiServer apiServer) {
        return new HazelcastOptions("k8s-discovery-test", "127.0.0.1", port, List.of(),
                Optional.of(new HazelcastOptions.KubernetesJoin(NAMESPACE, service, Optional.of(apiServer))));
    }

    private HazelcastOptions.ApiServer apiServer() throws Exception {
        // The mock server's self-signed certificate names localhost, not 127.0.0.1.
        return new HazelcastOptions.ApiServer("https://localhost:" + port(api.url()), TOKEN, serverCertificatePem());
    }

    /** One EndpointSlice per replica, as Kubernetes makes when replicas differ in port: here 127.0.0.1:port. */
    private void publishEndpoints(String replica, int port) {
        api.client().discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(new EndpointSliceBuilder()
                .withNewMetadata().withName(SERVICE + "-" + replica).withNamespace(NAMESPACE)
                .addToLabels("kubernetes.io/service-name", SERVICE).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("hazelcast").withPort(port).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions()
                .withNewTargetRef().withKind("Pod").withName("isthmus-controller-" + replica).withNamespace(NAMESPACE)
                .endTargetRef().endEndpoint()
                .build()).create();
    }

    private String serverCertificatePem() throws Exception {
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        try (SSLSocket s = (SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", port(api.url()))) {
            s.startHandshake();
            X509Certificate cert = (X509Certificate) s.getSession().getPeerCertificates()[0];
            return "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        }
    }

    private static int port(String url) {
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ClusterService reviews(String cluster, String ip) {
        return new ClusterService(cluster, "default", "reviews", "reviews.default.svc.cluster.local",
                List.of(new ServicePort("http", 9080, 9080, Protocol.HTTP)), Map.of(),
                List.of(new WorkloadEndpoint(ip, Map.of("http", 9080), cluster, "net-" + cluster,
                        new Locality("r", "z", ""), EndpointHealth.HEALTHY, "reviews", "pod-" + ip, "default",
                        Map.of("app", "reviews"))));
    }
}
