package io.isthmus.sidecar.filter;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * One RBAC filter's rules (Envoy's {@code config.rbac.v3.RBAC}): a set of named policies, each a
 * permission predicate and a principal predicate, and what to do when one matches.
 *
 * @param action ALLOW: requests that match no policy are denied; DENY: requests that match are denied
 * @param policies by name
 */
public record RbacPolicy(Action action, Map<String, Rule> policies) {

    public RbacPolicy {
        Objects.requireNonNull(action, "action");
        policies = Map.copyOf(policies);
    }

    /** The filter's action. */
    public enum Action { ALLOW, DENY }

    /**
     * One named policy: it matches when any permission and any principal match.
     *
     * @param permissions what is being accessed
     * @param principals who is accessing
     */
    public record Rule(Predicate<RbacRequest> permissions, Predicate<RbacRequest> principals) {
        public Rule {
            Objects.requireNonNull(permissions, "permissions");
            Objects.requireNonNull(principals, "principals");
        }
    }

    /** The name of the first policy matching the request, if any. */
    public Optional<String> firstMatch(RbacRequest request) {
        for (var e : policies.entrySet()) {
            Rule r = e.getValue();
            if (r.permissions().test(request) && r.principals().test(request)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** True when this filter lets the request through. */
    public boolean allows(RbacRequest request) {
        boolean matched = firstMatch(request).isPresent();
        return action == Action.ALLOW ? matched : !matched;
    }

    /** True when every filter in order lets the request through (DENY filters come first by convention). */
    public static boolean allowedByAll(Iterable<RbacPolicy> filters, RbacRequest request) {
        for (RbacPolicy p : filters) {
            if (!p.allows(request)) {
                return false;
            }
        }
        return true;
    }
}
