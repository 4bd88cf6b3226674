package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A VirtualService's {@code headers}, on a route and on a destination: what is read and every mistake named. */
class HeaderRulesTest {
    private static final String HEAD = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
            + "spec:\n  hosts: [reviews]\n  http:\n";

    private static VirtualService.HttpRoute route(String http) {
        return ((VirtualService) parse(HEAD + http.indent(2))).http().get(0);
    }

    @Test
    void routeAndDestinationOperations() {
        VirtualService.HttpRoute r = route("""
                - headers:
                    request:
                      set: {X-Env: prod, ":authority": reviews.internal}
                      add: {x-trace: "%DOWNSTREAM_REMOTE_ADDRESS%"}
                      remove: [X-Debug]
                    response:
                      set: {cache-control: no-store}
                      remove: [server-timing]
                  route:
                  - destination: {host: reviews, subset: v1}
                    weight: 90
                    headers: {request: {set: {x-subset: v1}}}
                  - destination: {host: reviews, subset: v2}
                    weight: 10
                """);
        assertThat(r.headers().request().set()).containsExactly(Map.entry("x-env", "prod"), Map.entry(":authority", "reviews.internal"));
        assertThat(r.headers().request().add()).containsEntry("x-trace", "%DOWNSTREAM_REMOTE_ADDRESS%");
        assertThat(r.headers().request().remove()).containsExactly("x-debug");
        assertThat(r.headers().response().set()).containsEntry("cache-control", "no-store");
        assertThat(r.headers().response().remove()).containsExactly("server-timing");
        assertThat(r.headers().authority()).contains("reviews.internal");
        assertThat(r.route().get(0).headers().request().set()).containsEntry("x-subset", "v1");
        assertThat(r.route().get(1).headers()).isEqualTo(VirtualService.Headers.NONE);
        assertThat(route("- route: [{destination: {host: reviews}}]\n").headers().authority()).isEqualTo(Optional.empty());
    }

    @Test
    void eachMistakeIsNamed() {
        String dest = "  route: [{destination: {host: reviews}}]\n";
        rejects(HEAD + "  - headers: {request: {set: {\"x user\": a}}}\n  " + dest, "spec.http[0].headers.request.set.x user",
                "not a header name");
        rejects(HEAD + "  - headers: {request: {remove: [\":path\"]}}\n  " + dest, "spec.http[0].headers.request.remove[0]",
                "pseudo-header :path cannot be changed");
        rejects(HEAD + "  - headers: {request: {add: {host: a}}}\n  " + dest, "spec.http[0].headers.request.add.host",
                "the authority can only be set");
        rejects(HEAD + "  - headers: {response: {set: {\":authority\": a}}}\n  " + dest,
                "spec.http[0].headers.response.set.:authority", "the authority can only be set");
        rejects(HEAD + "  - headers: {request: {set: {x-a: \"%REQ(x-user)%\"}}}\n  " + dest,
                "spec.http[0].headers.request.set.x-a", "not supported");
        rejects(HEAD + "  - headers: {request: {set: {x-a: \"100%\"}}}\n  " + dest,
                "spec.http[0].headers.request.set.x-a", "a literal % is written %%");
        rejects(HEAD + "  - headers: {request: {set: {x-a: \"a\\nb\"}}}\n  " + dest,
                "spec.http[0].headers.request.set.x-a", "must not contain NUL, CR or LF");
        rejects(HEAD + "  - headers: {request: {set: {X-A: a, x-a: b}}}\n  " + dest,
                "spec.http[0].headers.request.set.x-a", "names x-a twice");
        rejects(HEAD + "  - headers: {request: {set: {host: a, \":authority\": b}}}\n  " + dest,
                "spec.http[0].headers.request.set", "sets the authority twice");
        rejects(HEAD + "  - headers: {request: {set: {host: a}}}\n    rewrite: {authority: b}\n  " + dest,
                "spec.http[0].headers.request.set", "rewritten by rewrite.authority already");
        rejects(HEAD + "  - headers: {request: {replace: {a: b}}}\n  " + dest, "spec.http[0].headers.request.replace",
                "field not supported");
        rejects(HEAD + "  - route: [{destination: {host: reviews}, headers: {request: {set: {host: a}}}}]\n",
                "spec.http[0].route[0].headers.request.set.host", "the authority can only be set");
    }

    @Test
    void aTlsRouteDestinationHasNoHeaders() {
        rejects("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: r, namespace: shop}
                spec:
                  hosts: [reviews]
                  gateways: [edge]
                  tls:
                  - match: [{sniHosts: [reviews.example.com]}]
                    route: [{destination: {host: reviews}, headers: {request: {set: {a: b}}}}]
                """, "spec.tls[0].route", "a TLS route's destination has no headers");
    }
}
