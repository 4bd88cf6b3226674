package io.isthmus.controller.ca;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.isthmus.trust.SpiffeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** TokenReview against API servers that know their own tokens only (a local and a joined remote cluster). */
class TokenReviewAuthenticatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<KubernetesMockServer> servers = new ArrayList<>();
    private final List<KubernetesClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(KubernetesClient::close);
        servers.forEach(KubernetesMockServer::destroy);
    }

    @Test
    void aServiceAccountTokenOfThisClusterIsItsSpiffeIdAndOthersAreNot() {
        KubernetesClient east = apiServer(Map.of("east-token", "system:serviceaccount:default:client",
                "user-token", "alice"));
        TokenReviewAuthenticator auth = new TokenReviewAuthenticator(east, "cluster.local", List.of());

        assertThat(auth.authenticate("east-token")).contains(SpiffeId.parse("spiffe://cluster.local/ns/default/sa/client"));
        assertThat(auth.authenticate("user-token")).as("not a service account").isEmpty();
        assertThat(auth.authenticate("forged")).isEmpty();
    }

    @Test
    void aRemoteClustersTokenIsCheckedByThatClustersApiServer() {
        KubernetesClient east = apiServer(Map.of("east-token", "system:serviceaccount:default:client"));
        KubernetesClient north = apiServer(Map.of("north-token", "system:serviceaccount:default:reviews"));
        List<KubernetesClient> joined = new CopyOnWriteArrayList<>();
        CallerAuthenticator auth = new TokenReviewAuthenticator(east, "cluster.local", List.of())
                .or(TokenReviewAuthenticator.anyOf(() -> joined, "cluster.local"));

        assertThat(auth.authenticate("north-token")).as("north not joined yet").isEmpty();
        joined.add(north);
        assertThat(auth.authenticate("north-token")).contains(SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews"));
        assertThat(auth.authenticate("east-token")).contains(SpiffeId.parse("spiffe://cluster.local/ns/default/sa/client"));
        joined.clear();
        assertThat(auth.authenticate("north-token")).as("north left").isEmpty();
    }

    /** An API server answering TokenReview for exactly {@code users} (token -> username). */
    private KubernetesClient apiServer(Map<String, String> users) {
        Dispatcher d = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                if (!"POST".equals(r.getMethod()) || !r.getPath().startsWith("/apis/authentication.k8s.io/v1/tokenreviews")) {
                    return new MockResponse().setResponseCode(404);
                }
                JsonNode review = JSON.readTree(r.getBody().readUtf8());
                String user = users.get(review.path("spec").path("token").asString(""));
                String status = user == null ? "{\"authenticated\":false}"
                        : "{\"authenticated\":true,\"user\":{\"username\":\"" + user + "\"}}";
                return new MockResponse().setResponseCode(201).setBody("{\"apiVersion\":\"authentication.k8s.io/v1\","
                        + "\"kind\":\"TokenReview\",\"spec\":" + review.path("spec") + ",\"status\":" + status + "}");
            }
        };
        KubernetesMockServer s = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), d, false);
        s.init(InetAddress.getLoopbackAddress(), 0);
        servers.add(s);
        KubernetesClient c = s.createClient();
        clients.add(c);
        return c;
    }
}
