package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Policy;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.controller.config.AuthorizationPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * AuthorizationPolicy to Envoy's RBAC HTTP filter, Istio's semantics: one DENY filter (any
 * matching DENY policy refuses) before one ALLOW filter (when ALLOW policies apply, a request must
 * match one of them). A rule becomes one RBAC policy: any of its sources and any of its operations
 * and all of its conditions. Principals are matched against the peer's SPIFFE URI
 * ({@code spiffe://} + Istio's principal), values with Istio's {@code *} prefix/suffix forms.
 */
public final class RbacTranslator {

    /**
     * The RBAC filters for the policies applying to a workload, DENY first.
     *
     * @param policies the applicable policies (any order)
     * @return zero, one or two filter configs
     */
    public List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> filters(List<AuthorizationPolicy> policies) {
        List<io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC> out = new ArrayList<>();
        for (AuthorizationPolicy.Action action : List.of(AuthorizationPolicy.Action.DENY, AuthorizationPolicy.Action.ALLOW)) {
            List<AuthorizationPolicy> mine = policies.stream().filter(p -> p.action() == action).toList();
            if (mine.isEmpty()) {
                continue;
            }
            RBAC.Builder rules = RBAC.newBuilder()
                    .setAction(action == AuthorizationPolicy.Action.DENY ? RBAC.Action.DENY : RBAC.Action.ALLOW);
            for (AuthorizationPolicy p : mine) {
                for (int i = 0; i < p.rules().size(); i++) {
                    rules.putPolicies("ns[" + p.ref().namespace() + "]-policy[" + p.ref().name() + "]-rule[" + i + "]",
                            policy(p.rules().get(i)));
                }
            }
            out.add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.newBuilder().setRules(rules).build());
        }
        return out;
    }

    private static Policy policy(AuthorizationPolicy.Rule rule) {
        List<Principal> who = new ArrayList<>();
        who.add(rule.from().isEmpty() ? anyPrincipal() : orIds(rule.from().stream().map(RbacTranslator::source).toList()));
        List<Permission> what = new ArrayList<>();
        what.add(rule.to().isEmpty() ? anyPermission() : orRules(rule.to().stream().map(RbacTranslator::operation).toList()));
        for (AuthorizationPolicy.Condition c : rule.when()) {
            switch (c.key()) {
                case "source.principal" -> who.add(values(c.values(), c.notValues(), RbacTranslator::principalName));
                case "source.namespace" -> who.add(values(c.values(), c.notValues(), RbacTranslator::namespace));
                case "source.ip" -> who.add(values(c.values(), c.notValues(), RbacTranslator::ip));
                case "destination.port" -> what.add(permValues(c.values(), c.notValues(), RbacTranslator::port));
                default -> {
                    String header = c.headerName();
                    what.add(permValues(c.values(), c.notValues(), v -> headerPermission(header, v)));
                }
            }
        }
        return Policy.newBuilder()
                .addPrincipals(who.size() == 1 ? who.get(0) : Principal.newBuilder()
                        .setAndIds(Principal.Set.newBuilder().addAllIds(who)).build())
                .addPermissions(what.size() == 1 ? what.get(0) : Permission.newBuilder()
                        .setAndRules(Permission.Set.newBuilder().addAllRules(what)).build())
                .build();
    }

    private static Principal source(AuthorizationPolicy.Source s) {
        List<Principal> all = new ArrayList<>();
        addIds(all, s.principals(), s.notPrincipals(), RbacTranslator::principalName);
        addIds(all, s.namespaces(), s.notNamespaces(), RbacTranslator::namespace);
        addIds(all, s.ipBlocks(), s.notIpBlocks(), RbacTranslator::ip);
        if (all.isEmpty()) {
            return anyPrincipal();
        }
        return all.size() == 1 ? all.get(0) : Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(all)).build();
    }

    private static Permission operation(AuthorizationPolicy.Operation o) {
        List<Permission> all = new ArrayList<>();
        addRules(all, o.hosts(), o.notHosts(), v -> headerPermission(":authority", v));
        addRules(all, o.ports(), o.notPorts(), RbacTranslator::port);
        addRules(all, o.methods(), o.notMethods(), v -> headerPermission(":method", v));
        addRules(all, o.paths(), o.notPaths(), RbacTranslator::path);
        if (all.isEmpty()) {
            return anyPermission();
        }
        return all.size() == 1 ? all.get(0) : Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(all)).build();
    }

    private static void addIds(List<Principal> into, List<String> values, List<String> notValues, Function<String, Principal> one) {
        if (!values.isEmpty()) {
            into.add(orIds(values.stream().map(one).toList()));
        }
        if (!notValues.isEmpty()) {
            into.add(Principal.newBuilder().setNotId(orIds(notValues.stream().map(one).toList())).build());
        }
    }

    private static void addRules(List<Permission> into, List<String> values, List<String> notValues, Function<String, Permission> one) {
        if (!values.isEmpty()) {
            into.add(orRules(values.stream().map(one).toList()));
        }
        if (!notValues.isEmpty()) {
            into.add(Permission.newBuilder().setNotRule(orRules(notValues.stream().map(one).toList())).build());
        }
    }

    private static Principal values(List<String> values, List<String> notValues, Function<String, Principal> one) {
        List<Principal> parts = new ArrayList<>();
        addIds(parts, values, notValues, one);
        return parts.size() == 1 ? parts.get(0) : Principal.newBuilder().setAndIds(Principal.Set.newBuilder().addAllIds(parts)).build();
    }

    private static Permission permValues(List<String> values, List<String> notValues, Function<String, Permission> one) {
        List<Permission> parts = new ArrayList<>();
        addRules(parts, values, notValues, one);
        return parts.size() == 1 ? parts.get(0) : Permission.newBuilder().setAndRules(Permission.Set.newBuilder().addAllRules(parts)).build();
    }

    private static Principal principalName(String istioPrincipal) {
        return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder()
                .setPrincipalName(istioMatch(istioPrincipal, "spiffe://"))).build();
    }

    private static Principal namespace(String ns) {
        String core = ns.replace("*", "").replace(".", "\\.");
        String nsRegex = ns.equals("*") ? "[^/]+" : ns.startsWith("*") ? "[^/]*" + core : ns.endsWith("*") ? core + "[^/]*" : core;
        StringMatcher m = StringMatcher.newBuilder()
                .setSafeRegex(RegexMatcher.newBuilder().setRegex("spiffe://[^/]+/ns/" + nsRegex + "/.*")).build();
        return Principal.newBuilder().setAuthenticated(Principal.Authenticated.newBuilder().setPrincipalName(m)).build();
    }

    private static Principal ip(String cidr) {
        return Principal.newBuilder().setDirectRemoteIp(cidrRange(cidr)).build();
    }

    private static Permission port(String p) {
        return Permission.newBuilder().setDestinationPort(Integer.parseInt(p.strip())).build();
    }

    private static Permission path(String p) {
        return Permission.newBuilder().setUrlPath(PathMatcher.newBuilder().setPath(istioMatch(p, ""))).build();
    }

    private static Permission headerPermission(String name, String value) {
        return Permission.newBuilder().setHeader(HeaderMatcher.newBuilder().setName(name)
                .setStringMatch(istioMatch(value, ""))).build();
    }

    /** Istio's value forms: {@code *} any, {@code prefix*}, {@code *suffix}, else exact; {@code prefix} prepended. */
    static StringMatcher istioMatch(String value, String prefix) {
        if (value.equals("*")) {
            return StringMatcher.newBuilder().setPrefix(prefix).build();
        }
        if (value.endsWith("*")) {
            return StringMatcher.newBuilder().setPrefix(prefix + value.substring(0, value.length() - 1)).build();
        }
        if (value.startsWith("*")) {
            return StringMatcher.newBuilder().setSuffix(value.substring(1)).build();
        }
        return StringMatcher.newBuilder().setExact(prefix + value).build();
    }

    private static CidrRange cidrRange(String cidr) {
        int slash = cidr.indexOf('/');
        String ip = slash < 0 ? cidr : cidr.substring(0, slash);
        int len = slash < 0 ? (ip.contains(":") ? 128 : 32) : Integer.parseInt(cidr.substring(slash + 1));
        return CidrRange.newBuilder().setAddressPrefix(ip).setPrefixLen(com.google.protobuf.UInt32Value.of(len)).build();
    }

    private static Principal anyPrincipal() {
        return Principal.newBuilder().setAny(true).build();
    }

    private static Permission anyPermission() {
        return Permission.newBuilder().setAny(true).build();
    }

    private static Principal orIds(List<Principal> ids) {
        return ids.size() == 1 ? ids.get(0) : Principal.newBuilder().setOrIds(Principal.Set.newBuilder().addAllIds(ids)).build();
    }

    private static Permission orRules(List<Permission> rules) {
        return rules.size() == 1 ? rules.get(0) : Permission.newBuilder().setOrRules(Permission.Set.newBuilder().addAllRules(rules)).build();
    }
}
