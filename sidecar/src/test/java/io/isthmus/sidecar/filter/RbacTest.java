package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.sidecar.testing.MeshPair;
import io.isthmus.sidecar.testing.TestMesh;
import io.isthmus.sidecar.testing.Xds;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Envoy's RBAC HTTP filter on the inbound side, as the controller translates AuthorizationPolicy: DENY first, then ALLOW. */
class RbacTest {

    @TempDir
    Path dir;
    TestMesh mesh;

    @BeforeEach
    void setUp() {
        mesh = new TestMesh(dir);
    }

    @AfterEach
    void tearDown() {
        mesh.close();
    }

    private static HttpFilter rbac(RBAC rules) {
        return HttpFilter.newBuilder().setName("envoy.filters.http.rbac").setTypedConfig(Xds.any(
                io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build())).build();
    }

    private static Principal principal(StringMatcher m) {
        return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(m)).build();
    }

    @Test
    void denyPoliciesRunBeforeAllowPolicies() {
        RBAC deny = RBAC.newBuilder().setAction(RBAC.Action.DENY).putPolicies("no-admin", Policy.newBuilder()
                .addPermissions(Permission.newBuilder().setUrlPath(PathMatcher.newBuilder()
                        .setPath(StringMatcher.newBuilder().setPrefix("/admin"))))
                .addPrincipals(Principal.newBuilder().setAny(true)).build()).build();
        RBAC allow = RBAC.newBuilder().setAction(RBAC.Action.ALLOW).putPolicies("same-namespace", Policy.newBuilder()
                .addPermissions(Permission.newBuilder().setAny(true))
                .addPrincipals(principal(StringMatcher.newBuilder().setSafeRegex(
                        io.envoyproxy.envoy.type.matcher.v3.RegexMatcher.newBuilder().setRegex(".*/ns/default/.*")).build()))
                .build()).build();
        MeshPair pair = new MeshPair(mesh, true, List.of(rbac(deny), rbac(allow)));

        assertThat(pair.get(mesh, "/reviews").status()).isEqualTo(200);
        TestMesh.Reply denied = pair.get(mesh, "/admin/users");
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.header("x-isthmus-response-flags")).isEqualTo("RBAC");
        assertThat(pair.app.hits.get()).isEqualTo(1);
    }

    @Test
    void anAllowPolicyThatMatchesNobodyDeniesEverything() {
        RBAC allow = RBAC.newBuilder().setAction(RBAC.Action.ALLOW).putPolicies("only-ratings", Policy.newBuilder()
                .addPermissions(Permission.newBuilder().setHeader(HeaderMatcher.newBuilder().setName(":method").setExactMatch("GET")))
                .addPrincipals(principal(StringMatcher.newBuilder().setExact("spiffe://cluster.local/ns/default/sa/ratings").build()))
                .build()).build();
        MeshPair pair = new MeshPair(mesh, true, List.of(rbac(allow)));

        assertThat(pair.get(mesh, "/reviews").status()).isEqualTo(403);
        assertThat(pair.app.hits.get()).isZero();
    }

    @Test
    void principalsMatchInIstiosSpellingWithoutScheme() {
        RBAC allow = RBAC.newBuilder().setAction(RBAC.Action.ALLOW).putPolicies("productpage", Policy.newBuilder()
                .addPermissions(Permission.newBuilder().setAny(true))
                .addPrincipals(principal(StringMatcher.newBuilder().setExact("cluster.local/ns/default/sa/productpage").build()))
                .build()).build();
        MeshPair pair = new MeshPair(mesh, true, List.of(rbac(allow)));

        assertThat(pair.get(mesh, "/reviews").status()).isEqualTo(200);
    }
}
