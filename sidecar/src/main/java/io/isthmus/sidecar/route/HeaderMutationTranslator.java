package io.isthmus.sidecar.route;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Translates the header mutation fields of a route configuration, virtual host, route or weighted cluster
 * ({@code request_headers_to_add}, {@code request_headers_to_remove}, {@code response_headers_to_add},
 * {@code response_headers_to_remove}) into {@link HeaderMutation}s, refusing with the field path what Envoy
 * refuses: pseudo-headers and {@code host}, {@code append} together with {@code append_action}, an unescaped
 * {@code %}; and what this proxy does not render: operators other than {@link HeaderFormat.Operator}'s,
 * {@code raw_value}. Header names must be HTTP tokens (stricter than Envoy, which only refuses NUL, CR and LF)
 * and are lower-cased.
 */
final class HeaderMutationTranslator {

    /** Envoy's limit of {@code *_headers_to_add} entries per level. */
    private static final int MAX_ADDS = 1000;
    /** Envoy's limit of a header name's and a header value's size, in bytes. */
    private static final int MAX_BYTES = 16384;
    private static final String TCHAR = "!#$%&'*+-.^_`|~";

    private HeaderMutationTranslator() {
    }

    /** A level's request and response mutations. */
    record Level(HeaderMutation request, HeaderMutation response) {
        static final Level NONE = new Level(HeaderMutation.NONE, HeaderMutation.NONE);
    }

    /**
     * The levels around the routes of a virtual host: the virtual host's own and its route configuration's.
     *
     * @param mostSpecificWins the route configuration's {@code most_specific_header_mutations_wins}
     */
    record Enclosing(Level virtualHost, Level routeConfiguration, boolean mostSpecificWins) {

        /** The mutations of a route, or of a weighted cluster, given its own levels most specific first. */
        HeaderMutations chain(Level... inner) {
            List<HeaderMutation> request = new ArrayList<>(inner.length + 2);
            List<HeaderMutation> response = new ArrayList<>(inner.length + 2);
            for (Level l : inner) {
                request.add(l.request());
                response.add(l.response());
            }
            request.add(virtualHost.request());
            response.add(virtualHost.response());
            request.add(routeConfiguration.request());
            response.add(routeConfiguration.response());
            return HeaderMutations.of(mostSpecificWins, request, response);
        }
    }

    /**
     * Translates one level's four fields.
     *
     * @param rc the route configuration's name, for errors
     * @param prefix the level's field path ({@code virtual_hosts[0]}...), empty for the route configuration itself
     */
    static Level level(String rc, String prefix, List<HeaderValueOption> requestAdd, List<String> requestRemove,
                       List<HeaderValueOption> responseAdd, List<String> responseRemove) throws InvalidResourceException {
        if (requestAdd.isEmpty() && requestRemove.isEmpty() && responseAdd.isEmpty() && responseRemove.isEmpty()) {
            return Level.NONE;
        }
        String p = prefix.isEmpty() ? "" : prefix + ".";
        return new Level(mutation(rc, p + "request_headers", requestAdd, requestRemove),
                mutation(rc, p + "response_headers", responseAdd, responseRemove));
    }

    private static HeaderMutation mutation(String rc, String f, List<HeaderValueOption> adds, List<String> removes)
            throws InvalidResourceException {
        if (adds.isEmpty() && removes.isEmpty()) {
            return HeaderMutation.NONE;
        }
        if (adds.size() > MAX_ADDS) {
            throw invalid(rc, f + "_to_add", "at most " + MAX_ADDS + " entries, got " + adds.size());
        }
        List<String> remove = new ArrayList<>(removes.size());
        for (int i = 0; i < removes.size(); i++) {
            remove.add(name(rc, f + "_to_remove[" + i + "]", removes.get(i), "removed"));
        }
        List<HeaderMutation.Add> add = new ArrayList<>(adds.size());
        for (int i = 0; i < adds.size(); i++) {
            add.add(add(rc, f + "_to_add[" + i + "]", adds.get(i)));
        }
        return new HeaderMutation(remove, add);
    }

    private static HeaderMutation.Add add(String rc, String f, HeaderValueOption o) throws InvalidResourceException {
        if (!o.hasHeader()) {
            throw invalid(rc, f + ".header", "required");
        }
        String name = name(rc, f + ".header.key", o.getHeader().getKey(), "modified");
        if (!o.getHeader().getRawValue().isEmpty()) {
            throw invalid(rc, f + ".header.raw_value", "not supported; use value");
        }
        HeaderMutation.AppendAction action;
        if (o.hasAppend()) {
            if (o.getAppendActionValue() != HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD_VALUE) {
                throw invalid(rc, f + ".append", "append and append_action are both set (append is deprecated: use "
                        + "append_action alone)");
            }
            action = o.getAppend().getValue() ? HeaderMutation.AppendAction.APPEND_IF_EXISTS_OR_ADD
                    : HeaderMutation.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
        } else {
            action = switch (o.getAppendAction()) {
                case APPEND_IF_EXISTS_OR_ADD -> HeaderMutation.AppendAction.APPEND_IF_EXISTS_OR_ADD;
                case ADD_IF_ABSENT -> HeaderMutation.AppendAction.ADD_IF_ABSENT;
                case OVERWRITE_IF_EXISTS_OR_ADD -> HeaderMutation.AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
                case OVERWRITE_IF_EXISTS -> HeaderMutation.AppendAction.OVERWRITE_IF_EXISTS;
                default -> throw invalid(rc, f + ".append_action", "unknown value " + o.getAppendActionValue());
            };
        }
        String value = o.getHeader().getValue();
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw invalid(rc, f + ".header.value", "longer than " + MAX_BYTES + " bytes");
        }
        try {
            return new HeaderMutation.Add(name, HeaderFormat.parse(value), action, o.getKeepEmptyValue());
        } catch (IllegalArgumentException e) {
            throw invalid(rc, f + ".header.value", e.getMessage());
        }
    }

    /** A header name to add or remove, lower-cased; pseudo-headers and {@code host} refused as Envoy does. */
    private static String name(String rc, String f, String name, String verb) throws InvalidResourceException {
        if (name.startsWith(":")) {
            throw invalid(rc, f, "pseudo-header '" + name + "' may not be " + verb
                    + " (Envoy refuses :-prefixed headers here)");
        }
        if (name.isEmpty() || name.length() > MAX_BYTES || !name.chars().allMatch(HeaderMutationTranslator::isTchar)) {
            throw invalid(rc, f, "not a valid header name: '" + name + "'");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("host")) {
            throw invalid(rc, f, "host may not be " + verb + " (host_rewrite_literal rewrites it)");
        }
        return lower;
    }

    private static boolean isTchar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || TCHAR.indexOf(c) >= 0;
    }

    private static InvalidResourceException invalid(String rc, String field, String reason) {
        return new InvalidResourceException(TypeUrls.ROUTE, rc, field, reason);
    }
}
