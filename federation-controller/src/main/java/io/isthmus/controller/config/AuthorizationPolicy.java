package io.isthmus.controller.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Istio's {@code security.istio.io/v1} AuthorizationPolicy, the supported subset: ALLOW and DENY
 * policies whose rules match sources (principals, namespaces, IP blocks), operations (hosts, paths,
 * methods, ports) and conditions. Values use Istio's matching: exact, {@code prefix*}, {@code *suffix}
 * or {@code *}.
 *
 * <p>Semantics (Istio's): a request is denied if any DENY policy matches; else, if any ALLOW policy
 * applies to the workload, it is allowed only if one of them matches; a rule matches when any of its
 * {@code from}, any of its {@code to} and all of its {@code when} match (an absent part matches).
 * An ALLOW policy without rules matches nothing (denies all); {@code rules: [{}]} allows all.
 *
 * @param ref the resource
 * @param selector the pod labels it applies to; empty = the whole namespace (mesh-wide in the root namespace)
 * @param action ALLOW (default) or DENY
 * @param rules the rules
 */
public record AuthorizationPolicy(ResourceRef ref, Map<String, String> selector, Action action, List<Rule> rules)
        implements MeshResource {

    /** Kind name. */
    public static final String KIND = "AuthorizationPolicy";

    /** Supported condition keys (besides {@code request.headers[<name>]}). */
    public static final Set<String> CONDITION_KEYS = Set.of("source.ip", "source.namespace", "source.principal",
            "destination.port");
    private static final Pattern HEADER_KEY = Pattern.compile("request\\.headers\\[[A-Za-z0-9-_:]+\\]");
    private static final Pattern CIDR = Pattern.compile("[0-9a-fA-F:.]+(/\\d{1,3})?");
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
            "TRACE", "PATCH");

    public AuthorizationPolicy {
        Objects.requireNonNull(ref, "ref");
        selector = Map.copyOf(selector);
        Objects.requireNonNull(action, "action");
        rules = List.copyOf(rules);
    }

    /** Policy action. */
    public enum Action { ALLOW, DENY }

    /** A rule: sources, operations and conditions (each list empty = any). */
    public record Rule(List<Source> from, List<Operation> to, List<Condition> when) {
        public Rule {
            from = List.copyOf(from);
            to = List.copyOf(to);
            when = List.copyOf(when);
        }
    }

    /**
     * Who calls. Principals are {@code <trust-domain>/ns/<ns>/sa/<sa>} (the SPIFFE ID without {@code spiffe://}).
     */
    public record Source(List<String> principals, List<String> notPrincipals, List<String> namespaces,
                         List<String> notNamespaces, List<String> ipBlocks, List<String> notIpBlocks) {
        public Source {
            principals = List.copyOf(principals);
            notPrincipals = List.copyOf(notPrincipals);
            namespaces = List.copyOf(namespaces);
            notNamespaces = List.copyOf(notNamespaces);
            ipBlocks = List.copyOf(ipBlocks);
            notIpBlocks = List.copyOf(notIpBlocks);
        }
    }

    /** What is called. */
    public record Operation(List<String> hosts, List<String> notHosts, List<String> ports, List<String> notPorts,
                            List<String> methods, List<String> notMethods, List<String> paths, List<String> notPaths) {
        public Operation {
            hosts = List.copyOf(hosts);
            notHosts = List.copyOf(notHosts);
            ports = List.copyOf(ports);
            notPorts = List.copyOf(notPorts);
            methods = List.copyOf(methods);
            notMethods = List.copyOf(notMethods);
            paths = List.copyOf(paths);
            notPaths = List.copyOf(notPaths);
        }
    }

    /** A condition on a request attribute. */
    public record Condition(String key, List<String> values, List<String> notValues) {
        public Condition {
            Objects.requireNonNull(key, "key");
            values = List.copyOf(values);
            notValues = List.copyOf(notValues);
        }

        /** For {@code request.headers[x-user]}, the header name in lower case; else empty. */
        public String headerName() {
            return key.startsWith("request.headers[") ? key.substring(16, key.length() - 1).toLowerCase(java.util.Locale.ROOT) : "";
        }
    }

    /** Istio's value matching: {@code *} any, {@code abc*} prefix, {@code *abc} suffix, else exact. */
    public static boolean matchesValue(String pattern, String value) {
        if (value == null) {
            return false;
        }
        if (pattern.equals("*")) {
            return true;
        }
        if (pattern.endsWith("*")) {
            return value.startsWith(pattern.substring(0, pattern.length() - 1));
        }
        if (pattern.startsWith("*")) {
            return value.endsWith(pattern.substring(1));
        }
        return pattern.equals(value);
    }

    static AuthorizationPolicy parse(ResourceRef ref, Fields spec) {
        spec.allowOnly("selector", "action", "rules");
        Map<String, String> selector = Map.of();
        Fields sel = spec.obj("selector");
        if (sel != null) {
            sel.allowOnly("matchLabels");
            selector = sel.stringMap("matchLabels");
        }
        Action action = spec.enumValue("action", Action.class, Action.ALLOW);
        List<Rule> rules = spec.each("rules", r -> {
            r.allowOnly("from", "to", "when");
            List<Source> from = r.each("from", f -> {
                f.allowOnly("source");
                Fields s = f.obj("source");
                if (s == null) {
                    throw f.error("source", "required");
                }
                s.allowOnly("principals", "notPrincipals", "namespaces", "notNamespaces", "ipBlocks", "notIpBlocks");
                List<String> ips = s.strings("ipBlocks");
                List<String> notIps = s.strings("notIpBlocks");
                checkCidrs(s, "ipBlocks", ips);
                checkCidrs(s, "notIpBlocks", notIps);
                return new Source(s.strings("principals"), s.strings("notPrincipals"), s.strings("namespaces"),
                        s.strings("notNamespaces"), ips, notIps);
            });
            List<Operation> to = r.each("to", t -> {
                t.allowOnly("operation");
                Fields o = t.obj("operation");
                if (o == null) {
                    throw t.error("operation", "required");
                }
                o.allowOnly("hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths");
                checkPorts(o, "ports", o.strings("ports"));
                checkPorts(o, "notPorts", o.strings("notPorts"));
                checkMethods(o, "methods", o.strings("methods"));
                checkMethods(o, "notMethods", o.strings("notMethods"));
                return new Operation(o.strings("hosts"), o.strings("notHosts"), o.strings("ports"), o.strings("notPorts"),
                        o.strings("methods"), o.strings("notMethods"), o.strings("paths"), o.strings("notPaths"));
            });
            List<Condition> when = r.each("when", c -> {
                c.allowOnly("key", "values", "notValues");
                String key = c.requiredStr("key");
                if (!CONDITION_KEYS.contains(key) && !HEADER_KEY.matcher(key).matches()) {
                    throw c.error("key", "unsupported condition key " + key + " (supported: request.headers[<name>], "
                            + String.join(", ", new java.util.TreeSet<>(CONDITION_KEYS)) + ")");
                }
                List<String> values = c.strings("values");
                List<String> notValues = c.strings("notValues");
                if (values.isEmpty() && notValues.isEmpty()) {
                    throw c.error("values", "values or notValues is required");
                }
                if (key.equals("source.ip")) {
                    checkCidrs(c, "values", values);
                    checkCidrs(c, "notValues", notValues);
                } else if (key.equals("destination.port")) {
                    checkPorts(c, "values", values);
                    checkPorts(c, "notValues", notValues);
                }
                return new Condition(key, values, notValues);
            });
            return new Rule(from, to, when);
        });
        return new AuthorizationPolicy(ref, selector, action, rules);
    }

    private static void checkCidrs(Fields f, String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (!CIDR.matcher(values.get(i)).matches()) {
                throw f.error(field + "[" + i + "]", "not an IP address or CIDR: " + values.get(i));
            }
        }
    }

    private static void checkPorts(Fields f, String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            if (!v.matches("\\d{1,5}") || Integer.parseInt(v) < 1 || Integer.parseInt(v) > 65535) {
                throw f.error(field + "[" + i + "]", "not a port number: " + v);
            }
        }
    }

    private static void checkMethods(Fields f, String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (!METHODS.contains(values.get(i)) && !values.get(i).equals("*")) {
                throw f.error(field + "[" + i + "]", "not an HTTP method: " + values.get(i));
            }
        }
    }
}
