package io.isthmus.controller.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.grpc.xds.XdsNameResolverProvider;
import io.isthmus.controller.Controller;
import io.isthmus.controller.ControllerConfig;
import io.isthmus.controller.registry.ClusterService;
import io.isthmus.controller.registry.EndpointHealth;
import io.isthmus.controller.registry.Protocol;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.mesh.Locality;
import io.isthmus.mesh.ProxyMetadata;
import io.isthmus.mesh.ca.v1.IstioCertificateRequest;
import io.isthmus.mesh.ca.v1.IstioCertificateResponse;
import io.isthmus.mesh.ca.v1.IstioCertificateServiceGrpc;
import io.isthmus.trust.testing.TestPki;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client (proxyless gRPC, an independent implementation of the protocol)
 * bootstrapped against the controller's plaintext port: it resolves a service whose endpoints sit
 * in two clusters and two localities, prefers its own locality, fails over when those endpoints go
 * and follows every update.
 */
class ProxylessGrpcClientTest {
    private static final String HOST = "greeter.default.svc.cluster.local";
    private static final ServicePort PORT = new ServicePort("grpc", 50051, 0, Protocol.GRPC);
    private static final Locality EAST_A = Locality.of("us-east", "us-east-a");
    private static final Locality WEST_B = Locality.of("us-west", "us-west-b");

    @TempDir
    Path dir;
    private Controller controller;
    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final Map<String, WorkloadEndpoint> endpoints = new LinkedHashMap<>();
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "east");
        controller = Controller.start(ControllerConfig.builder("east", "net-1", pki.cacertsDir("east"))
                .listenAddress("127.0.0.1").secureXdsPort(0).plaintextXdsPort(0).monitoringPort(0)
                .pushDebounce(Duration.ofMillis(20)).sharedState(ControllerConfig.SharedState.IN_MEMORY).build());
        serve("east-a-1", "127.0.0.11", "east", EAST_A);
        serve("east-a-2", "127.0.0.12", "east", EAST_A);
        serve("west-b-1", "127.0.0.21", "west", WEST_B);
        serve("west-b-2", "127.0.0.22", "west", WEST_B);
        publish();

        Map<String, Object> node = Map.of(
                "id", "sidecar~127.0.0.5~client-0.default~default.svc.cluster.local",
                "locality", Map.of("region", "us-east", "zone", "us-east-a"),
                "metadata", Map.of(ProxyMetadata.GENERATOR, "grpc", "CLUSTER_ID", "east", "NETWORK", "net-1", "NAMESPACE", "default"));
        Map<String, Object> bootstrap = Map.of(
                "xds_servers", List.of(Map.of(
                        "server_uri", "127.0.0.1:" + controller.plaintextXdsPort(),
                        "channel_creds", List.of(Map.of("type", "insecure")),
                        "server_features", List.of("xds_v3"))),
                "node", node);
        NameResolverRegistry.getDefaultRegistry().register(XdsNameResolverProvider.createForTest("xds-isthmus", bootstrap));
        channel = Grpc.newChannelBuilder("xds-isthmus:///" + HOST + ":50051", InsecureChannelCredentials.create()).build();
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        for (Server s : servers.values()) {
            s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        controller.close();
    }

    @Test
    void prefersItsLocalityFailsOverAcrossClustersAndFollowsUpdates() throws Exception {
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(callMany(20)).containsExactlyInAnyOrder("east-a-1", "east-a-2"));

        // every endpoint of the client's locality goes: traffic moves to the other cluster
        endpoints.replaceAll((name, e) -> name.startsWith("east") ? e.withHealth(EndpointHealth.UNHEALTHY) : e);
        publish();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(callMany(20)).containsExactlyInAnyOrder("west-b-1", "west-b-2"));

        // a new endpoint in west is picked up
        serve("west-b-3", "127.0.0.23", "west", WEST_B);
        publish();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(callMany(30)).contains("west-b-3"));

        // the local locality recovers: traffic returns to it
        endpoints.replaceAll((name, e) -> e.withHealth(EndpointHealth.HEALTHY));
        publish();
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(callMany(20)).containsExactlyInAnyOrder("east-a-1", "east-a-2"));
    }

    private Set<String> callMany(int n) {
        Set<String> seen = new HashSet<>();
        var stub = IstioCertificateServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < n; i++) {
            seen.add(stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createCertificate(IstioCertificateRequest.getDefaultInstance()).getCertChain(0));
        }
        return seen;
    }

    private void publish() {
        for (String cluster : List.of("east", "west")) {
            List<WorkloadEndpoint> mine = new ArrayList<>();
            endpoints.values().stream().filter(e -> e.cluster().equals(cluster)).forEach(mine::add);
            controller.registryWriter().putService(new ClusterService(cluster, "default", "greeter", HOST, List.of(PORT), Map.of(), mine));
        }
    }

    private void serve(String name, String ip, String cluster, Locality locality) throws Exception {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress(ip, 0))
                .addService(new IstioCertificateServiceGrpc.IstioCertificateServiceImplBase() {
                    @Override
                    public void createCertificate(IstioCertificateRequest request, StreamObserver<IstioCertificateResponse> response) {
                        response.onNext(IstioCertificateResponse.newBuilder().addCertChain(name).build());
                        response.onCompleted();
                    }
                })
                .build().start();
        servers.put(name, s);
        endpoints.put(name, new WorkloadEndpoint(ip, Map.of("grpc", s.getPort()), cluster, "net-1", locality, EndpointHealth.HEALTHY,
                "greeter", name, "default", Map.of("app", "greeter")));
    }
}
