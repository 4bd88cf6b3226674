package io.isthmus.controller.translate;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.isthmus.controller.config.AuthorizationPolicy;
import io.isthmus.controller.config.ResourceRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RbacTranslatorTest {
    private final RbacTranslator translator = new RbacTranslator();

    @Test
    void denyComesBeforeAllowAndRulesMapSourcesOperationsAndConditions() {
        AuthorizationPolicy allow = new AuthorizationPolicy(new ResourceRef("AuthorizationPolicy", "default", "allow-get"), Map.of(),
                AuthorizationPolicy.Action.ALLOW, List.of(new AuthorizationPolicy.Rule(
                        List.of(new AuthorizationPolicy.Source(List.of(), List.of(), List.of("default"), List.of(), List.of(), List.of())),
                        List.of(new AuthorizationPolicy.Operation(List.of(), List.of(), List.of(), List.of(), List.of("GET"), List.of(),
                                List.of("/api/*"), List.of())),
                        List.of(new AuthorizationPolicy.Condition("request.headers[x-user]", List.of("alice"), List.of())))));
        AuthorizationPolicy deny = new AuthorizationPolicy(new ResourceRef("AuthorizationPolicy", "default", "deny-ip"), Map.of(),
                AuthorizationPolicy.Action.DENY, List.of(new AuthorizationPolicy.Rule(
                        List.of(new AuthorizationPolicy.Source(List.of(), List.of(), List.of(), List.of(), List.of("10.9.0.0/16"), List.of())),
                        List.of(), List.of())));

        var filters = translator.filters(List.of(allow, deny));
        assertThat(filters).extracting(f -> f.getRules().getAction()).containsExactly(RBAC.Action.DENY, RBAC.Action.ALLOW);

        Policy denyPolicy = filters.get(0).getRules().getPoliciesMap().values().iterator().next();
        assertThat(denyPolicy.getPrincipals(0).getDirectRemoteIp().getAddressPrefix()).isEqualTo("10.9.0.0");
        assertThat(denyPolicy.getPrincipals(0).getDirectRemoteIp().getPrefixLen().getValue()).isEqualTo(16);
        assertThat(denyPolicy.getPermissions(0).getAny()).isTrue();

        Policy allowPolicy = filters.get(1).getRules().getPoliciesMap().values().iterator().next();
        assertThat(allowPolicy.getPrincipals(0).getAuthenticated().getPrincipalName().getSafeRegex().getRegex())
                .isEqualTo("spiffe://[^/]+/ns/default/.*");
        Permission perm = allowPolicy.getPermissions(0);
        assertThat(perm.getAndRules().getRulesList()).hasSize(2);
        Permission op = perm.getAndRules().getRules(0);
        assertThat(op.getAndRules().getRules(0).getHeader().getName()).isEqualTo(":method");
        assertThat(op.getAndRules().getRules(1).getUrlPath().getPath().getPrefix()).isEqualTo("/api/");
        assertThat(perm.getAndRules().getRules(1).getHeader().getName()).isEqualTo("x-user");
    }

    @Test
    void istioValueFormsBecomeStringMatchers() {
        assertThat(RbacTranslator.istioMatch("*", "spiffe://").getPrefix()).isEqualTo("spiffe://");
        assertThat(RbacTranslator.istioMatch("cluster.local/ns/a/*", "spiffe://").getPrefix()).isEqualTo("spiffe://cluster.local/ns/a/");
        assertThat(RbacTranslator.istioMatch("*/sa/b", "spiffe://").getSuffix()).isEqualTo("/sa/b");
        assertThat(RbacTranslator.istioMatch("x", "").getExact()).isEqualTo("x");
    }
}
