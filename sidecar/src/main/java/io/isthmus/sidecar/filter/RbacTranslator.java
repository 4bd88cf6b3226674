package io.isthmus.sidecar.filter;

import io.envoyproxy.envoy.config.core.v3.CidrRange;
import io.envoyproxy.envoy.config.rbac.v3.Permission;
import io.envoyproxy.envoy.config.rbac.v3.Principal;
import io.envoyproxy.envoy.config.rbac.v3.RBAC;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.isthmus.sidecar.errors.UnsupportedFieldException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Translates Envoy RBAC rules into {@link RbacPolicy} predicates: and/or/not/any, authenticated
 * principal names (Istio's {@code spiffe://} IDs and their {@code cluster.local/ns/x/sa/y} spelling,
 * exact/prefix/suffix/regex), source and remote IP blocks, headers, URL paths, destination IPs,
 * ports and port ranges, and requested server names. Metadata and CEL conditions are refused.
 */
public final class RbacTranslator {

    private RbacTranslator() {
    }

    /** Translates RBAC rules. */
    public static RbacPolicy translate(RBAC rules, String field) throws UnsupportedFieldException {
        RbacPolicy.Action action = switch (rules.getAction()) {
            case ALLOW -> RbacPolicy.Action.ALLOW;
            case DENY -> RbacPolicy.Action.DENY;
            default -> throw new UnsupportedFieldException(field + ".action", rules.getAction() + " is not supported (ALLOW and DENY are)");
        };
        Map<String, RbacPolicy.Rule> out = new LinkedHashMap<>();
        for (var e : new java.util.TreeMap<>(rules.getPoliciesMap()).entrySet()) {
            String pf = field + ".policies[" + e.getKey() + "]";
            var p = e.getValue();
            if (p.hasCondition() || p.hasCheckedCondition()) {
                throw new UnsupportedFieldException(pf + ".condition", "CEL conditions are not supported");
            }
            List<Predicate<RbacRequest>> perms = new ArrayList<>();
            for (int i = 0; i < p.getPermissionsCount(); i++) {
                perms.add(permission(p.getPermissions(i), pf + ".permissions[" + i + "]"));
            }
            List<Predicate<RbacRequest>> ids = new ArrayList<>();
            for (int i = 0; i < p.getPrincipalsCount(); i++) {
                ids.add(principal(p.getPrincipals(i), pf + ".principals[" + i + "]"));
            }
            out.put(e.getKey(), new RbacPolicy.Rule(or(perms), or(ids)));
        }
        return new RbacPolicy(action, out);
    }

    private static Predicate<RbacRequest> permission(Permission p, String f) throws UnsupportedFieldException {
        return switch (p.getRuleCase()) {
            case ANY -> r -> p.getAny();
            case AND_RULES -> and(list(p.getAndRules().getRulesList(), f + ".and_rules", RbacTranslator::permission));
            case OR_RULES -> or(list(p.getOrRules().getRulesList(), f + ".or_rules", RbacTranslator::permission));
            case NOT_RULE -> permission(p.getNotRule(), f + ".not_rule").negate();
            case HEADER -> header(p.getHeader(), f + ".header");
            case URL_PATH -> {
                if (!p.getUrlPath().hasPath()) {
                    throw new UnsupportedFieldException(f + ".url_path", "only path matchers are supported");
                }
                Predicate<String> m = string(p.getUrlPath().getPath(), f + ".url_path.path");
                yield r -> !r.path().isEmpty() && m.test(stripQuery(r.path()));
            }
            case DESTINATION_IP -> cidr(p.getDestinationIp(), f + ".destination_ip", RbacRequest::destinationIp);
            case DESTINATION_PORT -> {
                int port = p.getDestinationPort();
                yield r -> r.destinationPort() == port;
            }
            case DESTINATION_PORT_RANGE -> {
                long start = p.getDestinationPortRange().getStart();
                long end = p.getDestinationPortRange().getEnd();
                yield r -> r.destinationPort() >= start && r.destinationPort() < end;
            }
            case REQUESTED_SERVER_NAME -> {
                Predicate<String> m = string(p.getRequestedServerName(), f + ".requested_server_name");
                yield r -> m.test(r.serverName());
            }
            default -> throw new UnsupportedFieldException(f, "permission " + p.getRuleCase() + " is not supported");
        };
    }

    private static Predicate<RbacRequest> principal(Principal p, String f) throws UnsupportedFieldException {
        return switch (p.getIdentifierCase()) {
            case ANY -> r -> p.getAny();
            case AND_IDS -> and(list(p.getAndIds().getIdsList(), f + ".and_ids", RbacTranslator::principal));
            case OR_IDS -> or(list(p.getOrIds().getIdsList(), f + ".or_ids", RbacTranslator::principal));
            case NOT_ID -> principal(p.getNotId(), f + ".not_id").negate();
            case AUTHENTICATED -> {
                if (!p.getAuthenticated().hasPrincipalName()) {
                    yield r -> !r.principal().isEmpty();
                }
                Predicate<String> m = string(p.getAuthenticated().getPrincipalName(), f + ".authenticated.principal_name");
                yield r -> !r.principal().isEmpty() && (m.test(r.principal()) || m.test(stripScheme(r.principal())));
            }
            case SOURCE_IP -> cidr(p.getSourceIp(), f + ".source_ip", RbacRequest::sourceIp);
            case DIRECT_REMOTE_IP -> cidr(p.getDirectRemoteIp(), f + ".direct_remote_ip", RbacRequest::sourceIp);
            case REMOTE_IP -> cidr(p.getRemoteIp(), f + ".remote_ip", RbacRequest::sourceIp);
            case HEADER -> header(p.getHeader(), f + ".header");
            case URL_PATH -> {
                if (!p.getUrlPath().hasPath()) {
                    throw new UnsupportedFieldException(f + ".url_path", "only path matchers are supported");
                }
                Predicate<String> m = string(p.getUrlPath().getPath(), f + ".url_path.path");
                yield r -> !r.path().isEmpty() && m.test(stripQuery(r.path()));
            }
            default -> throw new UnsupportedFieldException(f, "principal " + p.getIdentifierCase() + " is not supported");
        };
    }

    private interface Translate<T> {
        Predicate<RbacRequest> apply(T t, String field) throws UnsupportedFieldException;
    }

    private static <T> List<Predicate<RbacRequest>> list(List<T> items, String f, Translate<T> t) throws UnsupportedFieldException {
        List<Predicate<RbacRequest>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            out.add(t.apply(items.get(i), f + "[" + i + "]"));
        }
        return out;
    }

    private static Predicate<RbacRequest> and(List<Predicate<RbacRequest>> ps) {
        return r -> {
            for (Predicate<RbacRequest> p : ps) {
                if (!p.test(r)) {
                    return false;
                }
            }
            return true;
        };
    }

    private static Predicate<RbacRequest> or(List<Predicate<RbacRequest>> ps) {
        return r -> {
            for (Predicate<RbacRequest> p : ps) {
                if (p.test(r)) {
                    return true;
                }
            }
            return false;
        };
    }

    private static Predicate<RbacRequest> header(HeaderMatcher h, String f) throws UnsupportedFieldException {
        String name = h.getName().toLowerCase(java.util.Locale.ROOT);
        Predicate<String> m = switch (h.getHeaderMatchSpecifierCase()) {
            case EXACT_MATCH -> v -> v.equals(h.getExactMatch());
            case PREFIX_MATCH -> v -> v.startsWith(h.getPrefixMatch());
            case SUFFIX_MATCH -> v -> v.endsWith(h.getSuffixMatch());
            case CONTAINS_MATCH -> v -> v.contains(h.getContainsMatch());
            case PRESENT_MATCH -> v -> h.getPresentMatch();
            case SAFE_REGEX_MATCH -> regex(h.getSafeRegexMatch().getRegex(), f + ".safe_regex_match");
            case STRING_MATCH -> string(h.getStringMatch(), f + ".string_match");
            default -> throw new UnsupportedFieldException(f, "header matcher " + h.getHeaderMatchSpecifierCase() + " is not supported");
        };
        boolean invert = h.getInvertMatch();
        boolean present = h.getHeaderMatchSpecifierCase() == HeaderMatcher.HeaderMatchSpecifierCase.PRESENT_MATCH;
        return r -> {
            String v = r.header(name);
            boolean result = v == null ? (present && !h.getPresentMatch()) : m.test(v);
            return result != invert;
        };
    }

    private static Predicate<String> string(StringMatcher m, String f) throws UnsupportedFieldException {
        boolean ic = m.getIgnoreCase();
        Function<String, String> norm = ic ? s -> s.toLowerCase(java.util.Locale.ROOT) : s -> s;
        return switch (m.getMatchPatternCase()) {
            case EXACT -> v -> norm.apply(v).equals(norm.apply(m.getExact()));
            case PREFIX -> v -> norm.apply(v).startsWith(norm.apply(m.getPrefix()));
            case SUFFIX -> v -> norm.apply(v).endsWith(norm.apply(m.getSuffix()));
            case CONTAINS -> v -> norm.apply(v).contains(norm.apply(m.getContains()));
            case SAFE_REGEX -> regex(m.getSafeRegex().getRegex(), f + ".safe_regex");
            default -> throw new UnsupportedFieldException(f, "string matcher " + m.getMatchPatternCase() + " is not supported");
        };
    }

    private static Predicate<String> regex(String re, String f) throws UnsupportedFieldException {
        try {
            Pattern p = Pattern.compile(re);
            return v -> p.matcher(v).matches();
        } catch (PatternSyntaxException e) {
            throw new UnsupportedFieldException(f, "invalid regex: " + e.getDescription());
        }
    }

    private static Predicate<RbacRequest> cidr(CidrRange range, String f, Function<RbacRequest, InetAddress> addr)
            throws UnsupportedFieldException {
        try {
            byte[] net = InetAddress.getByName(range.getAddressPrefix()).getAddress();
            int len = range.hasPrefixLen() ? range.getPrefixLen().getValue() : net.length * 8;
            if (len < 0 || len > net.length * 8) {
                throw new UnsupportedFieldException(f + ".prefix_len", "out of range for " + range.getAddressPrefix());
            }
            BigInteger mask = len == 0 ? BigInteger.ZERO
                    : BigInteger.ONE.shiftLeft(len).subtract(BigInteger.ONE).shiftLeft(net.length * 8 - len);
            BigInteger want = new BigInteger(1, net).and(mask);
            return r -> {
                InetAddress a = addr.apply(r);
                if (a == null || a.getAddress().length != net.length) {
                    return false;
                }
                return new BigInteger(1, a.getAddress()).and(mask).equals(want);
            };
        } catch (UnknownHostException e) {
            throw new UnsupportedFieldException(f + ".address_prefix", "not an IP address: " + range.getAddressPrefix());
        }
    }

    private static String stripQuery(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }

    private static String stripScheme(String id) {
        return id.startsWith("spiffe://") ? id.substring("spiffe://".length()) : id;
    }
}
