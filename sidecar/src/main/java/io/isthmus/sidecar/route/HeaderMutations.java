package io.isthmus.sidecar.route;

import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.List;

/**
 * The header mutations a request and its response meet on a route or on one of its weighted clusters: the levels
 * that change anything, in the order they apply. Envoy's order is the most specific level first (weighted cluster,
 * route, virtual host, route configuration), so an outer level's overwrite wins; the route configuration's
 * {@code most_specific_header_mutations_wins} reverses it. Built when the route configuration is translated.
 *
 * @param request the request's levels in order
 * @param response the response's levels in order
 */
public record HeaderMutations(List<HeaderMutation> request, List<HeaderMutation> response) {

    /** No mutation at all. */
    public static final HeaderMutations NONE = new HeaderMutations(List.of(), List.of());

    public HeaderMutations {
        request = List.copyOf(request);
        response = List.copyOf(response);
    }

    /**
     * The mutations of request and response levels, given most specific first; levels that change nothing are left
     * out, and {@link #NONE} is returned when none is left.
     *
     * @param mostSpecificWins Envoy's {@code most_specific_header_mutations_wins}: apply the most specific level last
     * @param requestLevels the request levels, most specific first
     * @param responseLevels the response levels, most specific first (as many as {@code requestLevels})
     */
    public static HeaderMutations of(boolean mostSpecificWins, List<HeaderMutation> requestLevels,
                                     List<HeaderMutation> responseLevels) {
        List<HeaderMutation> req = ordered(mostSpecificWins, requestLevels);
        List<HeaderMutation> resp = ordered(mostSpecificWins, responseLevels);
        return req.isEmpty() && resp.isEmpty() ? NONE : new HeaderMutations(req, resp);
    }

    private static List<HeaderMutation> ordered(boolean reverse, List<HeaderMutation> levels) {
        List<HeaderMutation> out = new ArrayList<>(levels.size());
        for (HeaderMutation m : levels) {
            if (!m.isEmpty()) {
                out.add(m);
            }
        }
        if (reverse) {
            java.util.Collections.reverse(out);
        }
        return out;
    }

    /** True when neither the request nor the response is changed. */
    public boolean isEmpty() {
        return request.isEmpty() && response.isEmpty();
    }

    /** Mutates the headers of a request about to go upstream. */
    public void applyToRequest(MultiMap headers, HeaderContext context) {
        for (int i = 0, n = request.size(); i < n; i++) {
            request.get(i).apply(headers, context);
        }
    }

    /** Mutates the headers of a response about to go downstream. */
    public void applyToResponse(MultiMap headers, HeaderContext context) {
        for (int i = 0, n = response.size(); i < n; i++) {
            response.get(i).apply(headers, context);
        }
    }
}
