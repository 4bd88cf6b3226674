package io.isthmus.sidecar.route;

import io.envoyproxy.envoy.config.route.v3.RedirectAction;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.errors.TypeUrls;
import java.util.Locale;
import java.util.Objects;

/**
 * A route's {@code redirect} (Envoy's {@code RedirectAction}): the proxy answers with a 3xx and a {@code location}
 * built from the request's URL with the configured parts swapped.
 *
 * @param scheme the new scheme ({@code https_redirect} is {@code https}), empty = the request's
 * @param host the new host (may carry a port), empty = the request's
 * @param port the new port, 0 = as the host says
 * @param pathRedirect the new path (a query in it replaces the request's), empty = see {@code prefixRewrite}
 * @param prefixRewrite replaces the matched prefix (the whole path of an exact or regex match), empty = none
 * @param stripQuery drop the request's query
 * @param status 301, 302, 303, 307 or 308
 */
public record Redirect(String scheme, String host, int port, String pathRedirect, String prefixRewrite, boolean stripQuery,
                       int status) {

    public Redirect {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(pathRedirect, "pathRedirect");
        Objects.requireNonNull(prefixRewrite, "prefixRewrite");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
    }

    /** Reads a route's {@code redirect}, naming the field of anything refused. */
    static Redirect of(String rc, String field, RedirectAction a) throws InvalidResourceException {
        String f = field + ".redirect";
        if (a.hasRegexRewrite()) {
            throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + ".regex_rewrite", "is not supported; use path_redirect or prefix_rewrite");
        }
        String scheme = switch (a.getSchemeRewriteSpecifierCase()) {
            case HTTPS_REDIRECT -> a.getHttpsRedirect() ? "https" : "";
            case SCHEME_REDIRECT -> a.getSchemeRedirect().toLowerCase(Locale.ROOT);
            default -> "";
        };
        if (!scheme.isEmpty() && !scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + ".scheme_redirect", "not a scheme: '" + scheme + "'");
        }
        long port = Integer.toUnsignedLong(a.getPortRedirect());
        if (port > 65535) {
            throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + ".port_redirect", "must be 0..65535, got " + port);
        }
        String host = a.getHostRedirect();
        if (host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '?' || c == '#')) {
            throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + ".host_redirect", "not a host: '" + host + "'");
        }
        String path = a.getPathRedirect();
        String prefix = a.getPrefixRewrite();
        for (String[] p : new String[][] {{path, "path_redirect"}, {prefix, "prefix_rewrite"}}) {
            if (!p[0].isEmpty() && (!p[0].startsWith("/") || p[0].chars().anyMatch(c -> c <= ' ' || c == '#'))) {
                throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + "." + p[1], "must be a path starting with '/', got '" + p[0] + "'");
            }
        }
        int status = switch (a.getResponseCode()) {
            case MOVED_PERMANENTLY -> 301;
            case FOUND -> 302;
            case SEE_OTHER -> 303;
            case TEMPORARY_REDIRECT -> 307;
            case PERMANENT_REDIRECT -> 308;
            default -> throw new InvalidResourceException(TypeUrls.ROUTE, rc, f + ".response_code",
                    "unknown value " + a.getResponseCodeValue());
        };
        return new Redirect(scheme, host, (int) port, path, prefix, a.getStripQuery(), status);
    }

    /**
     * The {@code location} of a request's answer.
     *
     * @param requestScheme the request's scheme ({@code http} or {@code https})
     * @param authority the request's Host / {@code :authority}
     * @param path the request's path, without the query
     * @param query the request's query, null when it has none
     * @param match the route's path match, for {@code prefixRewrite}
     */
    public String location(String requestScheme, String authority, String path, String query, PathMatch match) {
        String newScheme = scheme.isEmpty() ? requestScheme : scheme;
        String h = host.isEmpty() ? authority : host;
        String bareHost = h;
        String hostPort = "";
        int colon = h.lastIndexOf(':');
        if (colon > 0 && h.indexOf(']') < colon && h.substring(colon + 1).matches("\\d+")) {
            bareHost = h.substring(0, colon);
            hostPort = h.substring(colon + 1);
        }
        if (port > 0) {
            hostPort = Integer.toString(port);
        } else if (!newScheme.equals(requestScheme) && hostPort.equals(defaultPort(requestScheme))) {
            hostPort = ""; // Envoy drops the old scheme's default port when the scheme changes
        }
        String newPath = path;
        String newQuery = stripQuery ? null : query;
        if (!pathRedirect.isEmpty()) {
            int q = pathRedirect.indexOf('?');
            newPath = q < 0 ? pathRedirect : pathRedirect.substring(0, q);
            if (q >= 0) {
                newQuery = pathRedirect.substring(q + 1);
            }
        } else if (!prefixRewrite.isEmpty()) {
            newPath = match.replaceMatched(path, prefixRewrite);
        }
        return newScheme + "://" + bareHost + (hostPort.isEmpty() ? "" : ":" + hostPort) + newPath
                + (newQuery == null || newQuery.isEmpty() ? "" : "?" + newQuery);
    }

    private static String defaultPort(String scheme) {
        return switch (scheme) {
            case "http" -> "80";
            case "https" -> "443";
            default -> "";
        };
    }
}
