package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;

/** The configuration's regular expressions are compiled once, matched whole, and kept within a bound. */
class RegexesTest {

    @Test
    void anExpressionIsCompiledOnceAndReused() {
        assertThat(Regexes.compiled("/catalog[0-9]+")).isSameAs(Regexes.compiled("/catalog[0-9]+"));
    }

    @Test
    void matchingIsOfTheWholeInputAsEnvoysSafeRegex() {
        assertThat(Regexes.matches("/catalog[0-9]+", "/catalog42")).isTrue();
        assertThat(Regexes.matches("/catalog[0-9]+", "/catalog42/x")).isFalse();
        assertThat(new PathMatch(PathMatch.Kind.REGEX, "/v[12]/.*", true).matches("/v2/users")).isTrue();
        assertThat(new HeaderMatch("x-user", HeaderMatch.Kind.REGEX, "ja.*n", false)
                .matches(new HeaderMatch.RequestView("GET", "svc", "/", "http",
                        io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("x-user", "jason")))).isTrue();
    }

    @Test
    void anInvalidExpressionIsRefusedWhenTheConfigurationIsRead() {
        assertThatThrownBy(() -> new PathMatch(PathMatch.Kind.REGEX, "/a(", true)).isInstanceOf(PatternSyntaxException.class);
    }

    @Test
    void theCacheStaysWithinItsBound() {
        for (int i = 0; i < Regexes.MAX * 2; i++) {
            Regexes.compiled("/churn/" + i);
        }
        assertThat(Regexes.size()).isLessThanOrEqualTo(Regexes.MAX);
        assertThat(Regexes.matches("/churn/[0-9]+", "/churn/7")).isTrue();
    }
}
