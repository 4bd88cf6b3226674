package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A VirtualService route's {@code corsPolicy}: every field read, the deprecated {@code allowOrigin}, every mistake named. */
class CorsPolicyParseTest {

    private static final String HEAD = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
            + "spec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n";

    private static VirtualService.HttpRoute route(String extra) {
        return ((VirtualService) parse(HEAD + extra)).http().get(0);
    }

    @Test
    void everyFieldIsRead() {
        CorsPolicy c = route("""
                    corsPolicy:
                      allowOrigins:
                      - exact: https://shop.example.com
                      - prefix: https://beta.
                      - regex: "https://.*\\\\.example\\\\.org"
                      allowMethods: [GET, POST]
                      allowHeaders: [x-user, Content-Type]
                      exposeHeaders: [x-request-id]
                      maxAge: 24h
                      allowCredentials: true
                      unmatchedPreflights: IGNORE
                """).cors().orElseThrow();
        assertThat(c.allowOrigins()).containsExactly(new StringMatch(StringMatch.Kind.EXACT, "https://shop.example.com"),
                new StringMatch(StringMatch.Kind.PREFIX, "https://beta."),
                new StringMatch(StringMatch.Kind.REGEX, "https://.*\\.example\\.org"));
        assertThat(c.allowMethods()).containsExactly("GET", "POST");
        assertThat(c.allowHeaders()).containsExactly("x-user", "Content-Type");
        assertThat(c.exposeHeaders()).containsExactly("x-request-id");
        assertThat(c.maxAge()).contains(Duration.ofHours(24));
        assertThat(c.allowCredentials()).contains(true);
        assertThat(c.unmatchedPreflights()).isEqualTo(CorsPolicy.UnmatchedPreflights.IGNORE);
    }

    @Test
    void unsetFieldsAreEmptyAndUnmatchedPreflightsAreForwarded() {
        CorsPolicy c = route("    corsPolicy: {allowOrigins: [{exact: https://a.example}]}\n").cors().orElseThrow();
        assertThat(c.allowMethods()).isEmpty();
        assertThat(c.allowHeaders()).isEmpty();
        assertThat(c.exposeHeaders()).isEmpty();
        assertThat(c.maxAge()).isEmpty();
        assertThat(c.allowCredentials()).isEmpty();
        assertThat(c.unmatchedPreflights()).isEqualTo(CorsPolicy.UnmatchedPreflights.FORWARD);
        assertThat(route("    corsPolicy: {unmatchedPreflights: UNSPECIFIED}\n").cors().orElseThrow().unmatchedPreflights())
                .isEqualTo(CorsPolicy.UnmatchedPreflights.FORWARD);
        assertThat(route("").cors()).isEmpty();
    }

    @Test
    void theDeprecatedAllowOriginIsAListOfExactOrigins() {
        assertThat(route("    corsPolicy: {allowOrigin: [https://a.example, \"*\"]}\n").cors().orElseThrow().allowOrigins())
                .containsExactly(new StringMatch(StringMatch.Kind.EXACT, "https://a.example"), new StringMatch(StringMatch.Kind.EXACT, "*"));
    }

    @Test
    void aDirectResponseOrARedirectMayHaveACorsPolicy() {
        String vs = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r, namespace: shop}\n"
                + "spec:\n  hosts: [reviews]\n  http:\n";
        VirtualService v = (VirtualService) parse(vs + """
                  - match: [{uri: {prefix: /old}}]
                    redirect: {uri: /new}
                    corsPolicy: {allowOrigins: [{exact: https://a.example}]}
                  - directResponse: {status: 200}
                    corsPolicy: {allowOrigins: [{prefix: https://}]}
                """);
        assertThat(v.http()).allSatisfy(r -> assertThat(r.cors()).isPresent());
        assertThat(v.forGateway("", VirtualService.MESH, 0).http().get(0).cors()).as("kept when the matches are narrowed")
                .isEqualTo(v.http().get(0).cors());
    }

    @Test
    void eachMistakeIsNamed() {
        String at = "spec.http[0].corsPolicy";
        rejects(HEAD + "    corsPolicy: {allowOrigins: [{exact: a}], allowOrigin: [b]}\n", at + ".allowOrigin",
                "cannot be set with allowOrigins");
        rejects(HEAD + "    corsPolicy: {allowOrigins: [{exact: a, prefix: b}]}\n", at + ".allowOrigins[0]",
                "exactly one of exact, prefix, regex");
        rejects(HEAD + "    corsPolicy: {allowOrigins: [{exact: a}, {suffix: b}]}\n", at + ".allowOrigins[1].suffix",
                "field not supported");
        rejects(HEAD + "    corsPolicy: {allowOrigins: [{prefix: \"\"}]}\n", at + ".allowOrigins[0].prefix", "must not be empty");
        rejects(HEAD + "    corsPolicy: {allowOrigins: [{regex: \"(\"}]}\n", at + ".allowOrigins[0].regex",
                "not a valid regular expression");
        rejects(HEAD + "    corsPolicy: {allowOrigins: [https://a.example]}\n", at + ".allowOrigins[0]", "must be an object");
        rejects(HEAD + "    corsPolicy: {allowOrigin: [\"\"]}\n", at + ".allowOrigin[0]", "must not be empty");
        rejects(HEAD + "    corsPolicy: {allowMethods: [GET, get]}\n", at + ".allowMethods[1]", "not an HTTP method");
        rejects(HEAD + "    corsPolicy: {allowMethods: GET}\n", at + ".allowMethods", "must be a list");
        rejects(HEAD + "    corsPolicy: {allowHeaders: [\"x user\"]}\n", at + ".allowHeaders[0]", "not a header name");
        rejects(HEAD + "    corsPolicy: {exposeHeaders: [ok, \"\"]}\n", at + ".exposeHeaders[1]", "not a header name");
        rejects(HEAD + "    corsPolicy: {maxAge: a day}\n", at + ".maxAge", "must be a duration");
        rejects(HEAD + "    corsPolicy: {maxAge: 1.5s}\n", at + ".maxAge", "must be whole seconds, got 1.5s");
        rejects(HEAD + "    corsPolicy: {maxAge: 0s}\n", at + ".maxAge", "must be at least 1ms");
        rejects(HEAD + "    corsPolicy: {allowCredentials: \"yes\"}\n", at + ".allowCredentials", "must be true or false");
        rejects(HEAD + "    corsPolicy: {unmatchedPreflights: DROP}\n", at + ".unmatchedPreflights", "must be FORWARD or IGNORE");
        rejects(HEAD + "    corsPolicy: {allowPrivateNetwork: true}\n", at + ".allowPrivateNetwork", "field not supported");
        rejects(HEAD + "    corsPolicy: [a]\n", at, "must be an object");
    }

    @Test
    void aPolicyRecordCopiesItsLists() {
        List<String> methods = new java.util.ArrayList<>(List.of("GET"));
        CorsPolicy c = new CorsPolicy(List.of(), methods, List.of(), List.of(), Optional.empty(), Optional.empty(),
                CorsPolicy.UnmatchedPreflights.FORWARD);
        methods.add("PUT");
        assertThat(c.allowMethods()).containsExactly("GET");
    }
}
