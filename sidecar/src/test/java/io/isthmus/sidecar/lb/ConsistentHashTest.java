package io.isthmus.sidecar.lb;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.testing.AppServer;
import io.isthmus.sidecar.testing.Outbound;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DestinationRule's {@code consistentHash} end to end, in the shapes Istio sends it (a RING_HASH or MAGLEV cluster,
 * a {@code hash_policy} on the route): requests with the same key reach the same one of three servers, a generated
 * cookie makes a client stick, the client address does, and when a server dies only its keys move, without a failed
 * request.
 */
class ConsistentHashTest {

    @TempDir
    Path dir;
    TestMesh mesh;
    List<AppServer> servers;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
        servers = List.of(mesh.app("a"), mesh.app("b"), mesh.app("c"));
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private Outbound outbound(Cluster.Builder cluster, RouteAction.HashPolicy.Builder policy) {
        Outbound out = Outbound.create(mesh, cluster.build(),
                RouteAction.newBuilder().addHashPolicy(policy).setRetryPolicy(Xds.meshRetry()));
        out.endpoints(Xds.cla(Outbound.SERVICE.clusterName(), Xds.group("z1", 0,
                Xds.lbEndpoint("127.0.0.1", servers.get(0).port, 1), Xds.lbEndpoint("127.0.0.1", servers.get(1).port, 1),
                Xds.lbEndpoint("127.0.0.1", servers.get(2).port, 1))));
        return out;
    }

    private static Cluster.Builder ringHash() {
        return Outbound.cluster(Xds.outlier(3, 30_000, 100)).toBuilder().setLbPolicy(Cluster.LbPolicy.RING_HASH)
                .setRingHashLbConfig(Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(2048)));
    }

    private static Cluster.Builder maglev() {
        return Outbound.cluster(Xds.outlier(3, 30_000, 100)).toBuilder().setLbPolicy(Cluster.LbPolicy.MAGLEV);
    }

    private static RouteAction.HashPolicy.Builder header(String name) {
        return RouteAction.HashPolicy.newBuilder().setHeader(RouteAction.HashPolicy.Header.newBuilder().setHeaderName(name));
    }

    private TestMesh.Reply get(Outbound out, Map<String, String> headers) {
        return mesh.send(io.vertx.core.http.HttpMethod.GET, "127.0.0.2", out.port, Outbound.AUTHORITY, "/r", headers, null);
    }

    /** Which server each of {@code users} reaches, after checking that all its requests reach that one. */
    private Map<String, String> serverOfEachUser(Outbound out, int users, int requestsEach) {
        Map<String, String> serverOf = new HashMap<>();
        for (int u = 0; u < users; u++) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < requestsEach; i++) {
                TestMesh.Reply r = get(out, Map.of("x-user", "user-" + u));
                assertThat(r.status()).as("user-%d", u).isEqualTo(200);
                seen.add(r.body());
            }
            assertThat(seen).as("servers of user-%d", u).hasSize(1);
            serverOf.put("user-" + u, seen.iterator().next());
        }
        return serverOf;
    }

    @Test
    void theSameHeaderValueAlwaysReachesTheSameServerAndValuesSpreadOverAll() {
        for (Cluster.Builder cluster : List.of(ringHash(), maglev())) {
            Outbound out = outbound(cluster, header("x-user"));

            Map<String, String> serverOf = serverOfEachUser(out, 60, 4);

            assertThat(new HashSet<>(serverOf.values())).as("%s", cluster.getLbPolicy()).containsExactlyInAnyOrder("a", "b", "c");
            Set<String> withoutKey = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                withoutKey.add(get(out, Map.of()).body());
            }
            assertThat(withoutKey).as("no hash: a random pick").hasSizeGreaterThan(1);
        }
    }

    @Test
    void aGeneratedCookieIsSetOnTheFirstResponseAndTheClientThatSendsItBackSticks() {
        Outbound out = outbound(ringHash(), RouteAction.HashPolicy.newBuilder().setCookie(RouteAction.HashPolicy.Cookie
                .newBuilder().setName("route").setPath("/").setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3600))));
        Set<String> servers = new HashSet<>();
        for (int client = 0; client < 12; client++) {
            // a client of its own connection: the generated value is derived from the connection's addresses
            HttpClient http = mesh.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false)
                    .setLocalAddress("127.0.2." + (client + 1)));
            RequestOptions first = new RequestOptions().setHost("127.0.0.2").setPort(out.port).setURI("/r")
                    .putHeader("host", Outbound.AUTHORITY);
            String[] setCookieAndServer = TestMesh.await(http.request(first).compose(req -> req.send()).compose(resp ->
                    resp.body().map(b -> new String[] {resp.getHeader("set-cookie"), b.toString()})));
            String setCookie = setCookieAndServer[0];
            assertThat(setCookie).matches("route=\"[0-9a-f]{16}\"; Max-Age=3600; Path=/; HttpOnly");
            String cookie = setCookie.substring(0, setCookie.indexOf(';'));

            for (int i = 0; i < 5; i++) {
                TestMesh.Reply r = get(out, Map.of("cookie", "theme=dark; " + cookie));
                assertThat(r.body()).as("client %d with %s", client, cookie).isEqualTo(setCookieAndServer[1]);
                assertThat(r.header("set-cookie")).as("the client has it: none set again").isNull();
            }
            servers.add(setCookieAndServer[1]);
            TestMesh.await(http.close());
        }
        assertThat(servers).as("clients spread over the servers").hasSizeGreaterThan(1);
    }

    @Test
    void theSourceAddressSticksEachClientToOneServer() {
        Outbound out = outbound(maglev(), RouteAction.HashPolicy.newBuilder().setConnectionProperties(
                RouteAction.HashPolicy.ConnectionProperties.newBuilder().setSourceIp(true)));
        Set<String> servers = new HashSet<>();
        for (int client = 0; client < 24; client++) {
            // one kept-alive connection per client address: the proxy picks the upstream per request, so round robin
            // would still spread a client's requests; new connections per request from one address could land on a
            // port whose previous connection the proxy still holds in TIME_WAIT, and hang a request for seconds
            HttpClient http = mesh.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setLocalAddress("127.0.3." + (client + 1)), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
            RequestOptions o = new RequestOptions().setHost("127.0.0.2").setPort(out.port).setURI("/r")
                    .putHeader("host", Outbound.AUTHORITY);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                seen.add(TestMesh.await(http.request(o).compose(req -> req.send()).compose(resp -> resp.body())).toString());
            }
            assertThat(seen).as("servers of client 127.0.3.%d", client + 1).hasSize(1);
            servers.addAll(seen);
            TestMesh.await(http.close());
        }
        assertThat(servers).hasSizeGreaterThan(1);
    }

    @Test
    void whenAServerDiesOnlyItsKeysMoveAndNoRequestFails() {
        for (Cluster.Builder cluster : List.of(ringHash(), maglev())) {
            Outbound out = outbound(cluster, header("x-user"));
            Map<String, String> before = serverOfEachUser(out, 45, 1);
            AppServer dying = servers.get(1);
            assertThat(before).containsValue("b");

            dying.stop();

            // every request answered (a refused connection is retried on the next server of the ring / table), each
            // key of the dead server settles on one other server, and no other key moves
            Map<String, String> after = serverOfEachUser(out, 45, 3);
            before.forEach((user, server) -> {
                if (server.equals("b")) {
                    assertThat(after.get(user)).as(user).isIn("a", "c");
                } else {
                    assertThat(after.get(user)).as(user).isEqualTo(server);
                }
            });
            servers = List.of(servers.get(0), mesh.appOn("b", dying.port), servers.get(2));
        }
    }
}
