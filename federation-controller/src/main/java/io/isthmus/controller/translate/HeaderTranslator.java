package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.isthmus.controller.config.VirtualService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A VirtualService's {@code headers}, as Istio translates them: {@code set} becomes a header option that overwrites,
 * {@code add} one that appends, {@code remove} a header to remove; a route's operations go on the Envoy route, a
 * destination's on its weighted cluster, or on the route when it is the route's only destination. Setting the
 * request's {@code :authority} (or {@code host}) is the route's {@code host_rewrite_literal}.
 */
final class HeaderTranslator {

    private HeaderTranslator() {
    }

    /**
     * The route's own operations and those of its only destination, on {@code route}: the destination's first, so
     * that the route's win where both set one header, as they do over a weighted cluster's.
     */
    static void toRoute(VirtualService.HttpRoute r, Route.Builder route) {
        List<VirtualService.Headers> all = new ArrayList<>();
        List<VirtualService.RouteDestination> sent = r.route().stream().filter(d -> d.weight() > 0).toList();
        if (sent.size() == 1) {
            all.add(sent.get(0).headers());
        } else if (sent.isEmpty() && r.route().size() == 1) {
            all.add(r.route().get(0).headers());
        }
        all.add(r.headers());
        for (VirtualService.Headers h : all) {
            route.addAllRequestHeadersToAdd(options(h.request()))
                    .addAllRequestHeadersToRemove(h.request().remove())
                    .addAllResponseHeadersToAdd(options(h.response()))
                    .addAllResponseHeadersToRemove(h.response().remove());
        }
    }

    /** A destination's operations on its weighted cluster. */
    static void toClusterWeight(VirtualService.Headers h, WeightedCluster.ClusterWeight.Builder cw) {
        cw.addAllRequestHeadersToAdd(options(h.request()))
                .addAllRequestHeadersToRemove(h.request().remove())
                .addAllResponseHeadersToAdd(options(h.response()))
                .addAllResponseHeadersToRemove(h.response().remove());
    }

    private static List<HeaderValueOption> options(VirtualService.HeaderOperations ops) {
        List<HeaderValueOption> out = new ArrayList<>();
        for (Map.Entry<String, String> e : ops.set().entrySet()) {
            if (!e.getKey().equals(":authority") && !e.getKey().equals("host")) {
                out.add(option(e, HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
            }
        }
        for (Map.Entry<String, String> e : ops.add().entrySet()) {
            out.add(option(e, HeaderValueOption.HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
        }
        return out;
    }

    private static HeaderValueOption option(Map.Entry<String, String> e, HeaderValueOption.HeaderAppendAction action) {
        return HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()))
                .setAppendAction(action)
                .build();
    }
}
