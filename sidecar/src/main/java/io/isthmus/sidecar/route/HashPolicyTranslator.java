package io.isthmus.sidecar.route;

import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.ResourceDurations;
import io.isthmus.sidecar.errors.TypeUrls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Translates a route's {@code hash_policy} list into a {@link HashPolicy}: {@code header} (without
 * {@code regex_rewrite}), {@code cookie} (name, path, ttl; no {@code attributes}), {@code connection_properties}
 * ({@code source_ip}) and {@code query_parameter}, each with {@code terminal}; {@code filter_state} and anything
 * malformed are refused naming the field.
 */
final class HashPolicyTranslator {

    private HashPolicyTranslator() {
    }

    /**
     * Translates the hash policies of one route action.
     *
     * @param rc the route configuration's name
     * @param f the field path of the list, e.g. {@code virtual_hosts[0].routes[1].route.hash_policy}
     */
    static HashPolicy translate(String rc, String f, List<RouteAction.HashPolicy> policies) throws InvalidResourceException {
        if (policies.isEmpty()) {
            return HashPolicy.NONE;
        }
        List<HashPolicy.Rule> rules = new ArrayList<>();
        for (int i = 0; i < policies.size(); i++) {
            RouteAction.HashPolicy p = policies.get(i);
            String fi = f + "[" + i + "]";
            HashPolicy.Input input = switch (p.getPolicySpecifierCase()) {
                case HEADER -> header(rc, fi + ".header", p.getHeader());
                case COOKIE -> cookie(rc, fi + ".cookie", p.getCookie());
                // Envoy adds no rule for connection_properties without source_ip
                case CONNECTION_PROPERTIES -> p.getConnectionProperties().getSourceIp() ? new HashPolicy.SourceIp() : null;
                case QUERY_PARAMETER -> {
                    String name = p.getQueryParameter().getName();
                    if (name.isEmpty()) {
                        throw invalid(rc, fi + ".query_parameter.name", "must not be empty");
                    }
                    yield new HashPolicy.QueryParameter(name);
                }
                case FILTER_STATE -> throw invalid(rc, fi + ".filter_state", "hashing on filter state is not supported");
                case POLICYSPECIFIER_NOT_SET -> throw invalid(rc, fi,
                        "needs one of header, cookie, connection_properties, query_parameter");
            };
            if (input != null) {
                rules.add(new HashPolicy.Rule(input, p.getTerminal()));
            }
        }
        return new HashPolicy(rules);
    }

    private static HashPolicy.Header header(String rc, String f, RouteAction.HashPolicy.Header h)
            throws InvalidResourceException {
        if (h.hasRegexRewrite()) {
            throw invalid(rc, f + ".regex_rewrite", "rewriting header values before hashing is not supported");
        }
        String name = h.getHeaderName();
        if (name.isEmpty() || !printable(name.startsWith(":") ? name.substring(1) : name, ":,;=\"")) {
            throw invalid(rc, f + ".header_name", "not a header name: '" + name + "'");
        }
        return new HashPolicy.Header(name);
    }

    private static HashPolicy.Cookie cookie(String rc, String f, RouteAction.HashPolicy.Cookie c)
            throws InvalidResourceException {
        if (c.getAttributesCount() > 0) {
            throw invalid(rc, f + ".attributes", "cookie attributes are not supported");
        }
        if (c.getName().isEmpty() || !printable(c.getName(), "()<>@,;:\\\"/[]?={}")) {
            throw invalid(rc, f + ".name", "not a cookie name: '" + c.getName() + "'");
        }
        // the path goes into the Set-Cookie header as it is: no separator, no control character
        if (!c.getPath().isEmpty() && !printable(c.getPath(), ";")) {
            throw invalid(rc, f + ".path", "not a cookie path: '" + c.getPath() + "'");
        }
        Optional<Duration> ttl = Optional.empty();
        if (c.hasTtl()) {
            // Envoy counts whole seconds
            ttl = Optional.of(Duration.ofSeconds(ResourceDurations.of(c.getTtl(), TypeUrls.ROUTE, rc, f + ".ttl").getSeconds()));
        }
        return new HashPolicy.Cookie(c.getName(), c.getPath(), ttl);
    }

    /** True when {@code s} is visible US-ASCII without any of {@code forbidden}. */
    private static boolean printable(String s, String forbidden) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch <= 0x20 || ch >= 0x7f || forbidden.indexOf(ch) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static InvalidResourceException invalid(String name, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ROUTE, name, field, reason);
    }
}
