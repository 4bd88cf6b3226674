package io.isthmus.controller.config;

import io.isthmus.mesh.HeaderOperators;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a VirtualService's {@code headers} (Istio's {@code Headers}: {@code request} and {@code response}, each with
 * {@code set}, {@code add}, {@code remove}) and refuses what no proxy could do: an invalid header name, a pseudo
 * header or {@code host} (except {@code request.set} of the authority on a route, which is the route's authority
 * rewrite, as in Istio), a value with NUL, CR or LF, or a {@code %OPERATOR%} the proxies do not render.
 */
final class HeaderRules {

    private static final String TOKEN = "[a-z0-9!#$%&'*+.^_`|~-]+";

    private HeaderRules() {
    }

    /**
     * The operations of a {@code headers} object ({@link VirtualService.Headers#NONE} when absent).
     *
     * @param routeLevel a route's {@code headers} (may set the authority), else a destination's
     */
    static VirtualService.Headers parse(Fields f, boolean routeLevel) {
        if (f == null) {
            return VirtualService.Headers.NONE;
        }
        f.allowOnly("request", "response");
        return new VirtualService.Headers(operations(f.obj("request"), routeLevel), operations(f.obj("response"), false));
    }

    private static VirtualService.HeaderOperations operations(Fields f, boolean authorityAllowed) {
        if (f == null) {
            return VirtualService.HeaderOperations.NONE;
        }
        f.allowOnly("set", "add", "remove");
        Map<String, String> set = values(f, "set", authorityAllowed);
        Map<String, String> add = values(f, "add", false);
        List<String> remove = new ArrayList<>();
        List<String> names = f.strings("remove");
        for (int i = 0; i < names.size(); i++) {
            remove.add(name(f, "remove[" + i + "]", names.get(i), false));
        }
        if (set.containsKey(":authority") && set.containsKey("host")) {
            throw f.error("set", "sets the authority twice (:authority and host)");
        }
        return new VirtualService.HeaderOperations(set, add, remove);
    }

    private static Map<String, String> values(Fields f, String field, boolean authorityAllowed) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : f.stringMap(field).entrySet()) {
            String at = field + "." + e.getKey();
            String name = name(f, at, e.getKey(), authorityAllowed);
            String problem = HeaderOperators.problem(e.getValue());
            if (problem != null) {
                throw f.error(at, "the value " + problem);
            }
            if (out.put(name, e.getValue()) != null) {
                throw f.error(at, "names " + name + " twice");
            }
        }
        return out;
    }

    private static String name(Fields f, String at, String raw, boolean authorityAllowed) {
        String name = raw.toLowerCase(Locale.ROOT);
        if (name.equals(":authority") || name.equals("host")) {
            if (authorityAllowed) {
                return name;
            }
            throw f.error(at, "the authority can only be set, on a route's request (or with rewrite.authority)");
        }
        if (name.startsWith(":")) {
            throw f.error(at, "pseudo-header " + name + " cannot be changed");
        }
        if (!name.matches(TOKEN)) {
            throw f.error(at, "not a header name: '" + raw + "'");
        }
        return name;
    }
}
