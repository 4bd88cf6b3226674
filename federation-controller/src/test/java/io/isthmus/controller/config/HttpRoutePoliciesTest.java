package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A VirtualService route's {@code fault}, {@code rewrite}, {@code mirror} / {@code mirrorPercentage} and {@code mirrors}. */
class HttpRoutePoliciesTest {

    private static final String HEAD = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
            + "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n";

    private static VirtualService.HttpRoute route(String extra) {
        return ((VirtualService) parse(HEAD + extra)).http().get(0);
    }

    @Test
    void faultDelayAndAbortWithPercentages() {
        VirtualService.Fault f = route("""
                    fault:
                      delay: {fixedDelay: 1.5s, percentage: {value: 12.5}}
                      abort: {httpStatus: 503, percentage: {value: 0.1}}
                """).fault().orElseThrow();
        assertThat(f.delay()).contains(new VirtualService.Delay(Duration.ofMillis(1500), 12.5));
        assertThat(f.abort()).contains(new VirtualService.Abort(503, 0.1));
    }

    @Test
    void aFaultWithoutPercentageAppliesToEveryRequest() {
        VirtualService.Fault f = route("    fault:\n      abort: {httpStatus: 500}\n").fault().orElseThrow();
        assertThat(f.abort()).contains(new VirtualService.Abort(500, 100));
        assertThat(f.delay()).isEmpty();
    }

    @Test
    void rewriteOfUriAndAuthority() {
        assertThat(route("    rewrite: {uri: /v2/, authority: backend.shop:8080}\n").rewrite())
                .contains(new VirtualService.Rewrite("/v2/", "backend.shop:8080"));
        assertThat(route("    rewrite: {authority: backend}\n").rewrite()).contains(new VirtualService.Rewrite("", "backend"));
        assertThat(route("    rewrite: {uriRegexRewrite: {match: \"^/v1/(.*)\", rewrite: \"/v2/\\\\1\"}}\n").rewrite())
                .contains(new VirtualService.Rewrite("", "", Optional.of(new VirtualService.RegexRewrite("^/v1/(.*)", "/v2/\\1"))));
    }

    @Test
    void aSingleMirrorWithItsPercentageAndAListOfMirrors() {
        VirtualService.HttpRoute one = route("""
                    mirror: {host: reviews, subset: v2}
                    mirrorPercentage: {value: 25}
                """);
        assertThat(one.mirrors()).containsExactly(new VirtualService.Mirror(
                new VirtualService.Destination("reviews.shop.svc.cluster.local", "v2", 0), 25));
        VirtualService.HttpRoute many = route("""
                    mirrors:
                    - destination: {host: audit.tools.svc.cluster.local, port: {number: 8080}}
                    - destination: {host: reviews, subset: canary}
                      percentage: {value: 5.5}
                """);
        assertThat(many.mirrors()).containsExactly(
                new VirtualService.Mirror(new VirtualService.Destination("audit.tools.svc.cluster.local", "", 8080), 100),
                new VirtualService.Mirror(new VirtualService.Destination("reviews.shop.svc.cluster.local", "canary", 0), 5.5));
    }

    @Test
    void routesWithoutThemHaveNone() {
        VirtualService.HttpRoute r = route("");
        assertThat(r.fault()).isEmpty();
        assertThat(r.rewrite()).isEqualTo(Optional.empty());
        assertThat(r.mirrors()).isEmpty();
    }

    @Test
    void eachMistakeIsNamed() {
        rejects(HEAD + "    fault: {}\n", "spec.http[0].fault", "needs a delay or an abort");
        rejects(HEAD + "    fault:\n      delay: {percentage: {value: 10}}\n", "spec.http[0].fault.delay.fixedDelay", "required");
        rejects(HEAD + "    fault:\n      delay: {exponentialDelay: 1s}\n", "spec.http[0].fault.delay.exponentialDelay",
                "field not supported");
        rejects(HEAD + "    fault:\n      abort: {grpcStatus: UNAVAILABLE}\n", "spec.http[0].fault.abort.grpcStatus",
                "field not supported");
        rejects(HEAD + "    fault:\n      abort: {percentage: {value: 10}}\n", "spec.http[0].fault.abort.httpStatus",
                "required");
        rejects(HEAD + "    fault:\n      abort: {httpStatus: 700}\n", "spec.http[0].fault.abort.httpStatus",
                "must be 200..599, got 700");
        rejects(HEAD + "    fault:\n      abort: {httpStatus: 503, percentage: {value: 150}}\n",
                "spec.http[0].fault.abort.percentage.value", "must be 0..100, got 150");
        rejects(HEAD + "    fault:\n      abort: {httpStatus: 503, percentage: {value: lots}}\n",
                "spec.http[0].fault.abort.percentage.value", "must be a number, got 'lots'");
        rejects(HEAD + "    rewrite: {}\n", "spec.http[0].rewrite", "needs uri, authority or uriRegexRewrite");
        rejects(HEAD + "    rewrite: {uri: /a, uriRegexRewrite: {match: a, rewrite: b}}\n", "spec.http[0].rewrite.uriRegexRewrite",
                "uri and uriRegexRewrite cannot both be set");
        rejects(HEAD + "    rewrite: {uriRegexRewrite: {match: \"(a\", rewrite: b}}\n", "spec.http[0].rewrite.uriRegexRewrite.match",
                "invalid regex");
        rejects(HEAD + "    rewrite: {uriRegexRewrite: {match: \"(a)\", rewrite: \"\\\\2\"}}\n",
                "spec.http[0].rewrite.uriRegexRewrite.rewrite", "names group \\2, the match has 1");
        rejects(HEAD + "    rewrite: {uri: v2}\n", "spec.http[0].rewrite.uri", "must be a path starting with '/'");
        rejects(HEAD + "    rewrite: {authority: \"a b\"}\n", "spec.http[0].rewrite.authority", "must be a host name");
        rejects(HEAD + "    mirror: {host: a}\n    mirrors: [{destination: {host: b}}]\n", "spec.http[0].mirrors",
                "mirror and mirrors cannot both be set");
        rejects(HEAD + "    mirrorPercentage: {value: 10}\n", "spec.http[0].mirrorPercentage", "needs mirror");
        rejects(HEAD + "    mirror: {host: a, subset: \"x|y\"}\n", "spec.http[0].mirror.subset", "must not contain");
        rejects(HEAD + "    mirrors: [{percentage: {value: 1}}]\n", "spec.http[0].mirrors[0].destination", "required");
    }

    @Test
    void aDirectResponseReplacesTheDestinations() {
        String vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
                + "spec:\n  hosts: [reviews]\n  http:\n";
        VirtualService.HttpRoute r = ((VirtualService) parse(vs + """
                  - match: [{uri: {exact: /maintenance}}]
                    directResponse: {status: 503, body: {string: "back soon"}}
                    headers: {response: {set: {retry-after: "120"}}}
                """)).http().get(0);
        assertThat(r.directResponse()).contains(new VirtualService.DirectResponse(503, "back soon"));
        assertThat(r.route()).isEmpty();
        assertThat(((VirtualService) parse(vs + "  - directResponse: {status: 200, body: {bytes: aGVsbG8=}}\n")).http().get(0)
                .directResponse()).contains(new VirtualService.DirectResponse(200, "hello"));
        assertThat(((VirtualService) parse(vs + "  - directResponse: {status: 204}\n")).http().get(0)
                .directResponse()).contains(new VirtualService.DirectResponse(204, ""));
        rejects(vs + "  - directResponse: {body: {string: x}}\n", "spec.http[0].directResponse.status", "required");
        rejects(vs + "  - directResponse: {status: 600}\n", "spec.http[0].directResponse.status", "must be 200..599");
        rejects(vs + "  - directResponse: {status: 200, body: {string: a, bytes: YQ==}}\n", "spec.http[0].directResponse.body",
                "exactly one of string and bytes");
        rejects(vs + "  - directResponse: {status: 200, body: {bytes: \"!!\"}}\n", "spec.http[0].directResponse.body.bytes",
                "is not base64");
        rejects(vs + "  - directResponse: {status: 200, body: {bytes: /w==}}\n", "spec.http[0].directResponse.body.bytes",
                "binary bodies are not supported");
        rejects(vs + "  - directResponse: {status: 200, body: {string: " + "x".repeat(5000) + "}}\n",
                "spec.http[0].directResponse.body", "is 5000 bytes, more than the 4096");
        rejects(vs + "  - directResponse: {status: 200}\n    route: [{destination: {host: reviews}}]\n", "spec.http[0].route",
                "a route with directResponse has no route");
        rejects(vs + "  - directResponse: {status: 200}\n    timeout: 1s\n", "spec.http[0].timeout",
                "a route with directResponse has no timeout");
    }

    @Test
    void aRedirectReplacesTheDestinations() {
        String vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
                + "spec:\n  hosts: [reviews]\n  http:\n";
        VirtualService.HttpRoute r = ((VirtualService) parse(vs + """
                  - match: [{uri: {prefix: /v1}}]
                    redirect: {uri: /v2, authority: new.example.com, port: 8443, scheme: HTTPS, redirectCode: 308}
                """)).http().get(0);
        assertThat(r.redirect()).contains(new VirtualService.Redirect("/v2", "new.example.com", 8443, false, "https", 308));
        assertThat(r.route()).isEmpty();
        assertThat(((VirtualService) parse(vs + "  - redirect: {derivePort: FROM_REQUEST_PORT}\n")).http().get(0).redirect())
                .contains(new VirtualService.Redirect("", "", 0, true, "", 301));
        rejects(vs + "  - redirect: {redirectCode: 304}\n", "spec.http[0].redirect.redirectCode", "must be 301, 302, 303, 307 or 308");
        rejects(vs + "  - redirect: {port: 1, derivePort: FROM_REQUEST_PORT}\n", "spec.http[0].redirect.derivePort",
                "cannot both be set");
        rejects(vs + "  - redirect: {uri: v2}\n", "spec.http[0].redirect.uri", "must be a path starting with '/'");
        rejects(vs + "  - redirect: {scheme: \"ht tp\"}\n", "spec.http[0].redirect.scheme", "not a scheme");
        rejects(vs + "  - redirect: {uri: /a}\n    rewrite: {uri: /b}\n", "spec.http[0].rewrite", "a route with redirect has no rewrite");
        rejects(vs + "  - redirect: {uri: /a}\n    directResponse: {status: 200}\n", "spec.http[0].redirect",
                "a route with directResponse has no redirect");
    }
}
