package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.lb.XxHash64;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The hash of a request under a route's hash policy: each input, Envoy's combination of several, and terminal. */
class HashPolicyTest {

    /** A request with headers, a client address and a query; remembers the cookies it was asked to generate. */
    private static final class FakeRequest implements HashPolicy.Request {
        final Map<String, List<String>> headers = new HashMap<>();
        String ip = "10.0.0.7";
        String query;
        final List<String> generated = new ArrayList<>();

        FakeRequest header(String name, String value) {
            headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            return this;
        }

        @Override
        public List<String> headerValues(String name) {
            return headers.getOrDefault(name, List.of());
        }

        @Override
        public String sourceIp() {
            return ip;
        }

        @Override
        public String query() {
            return query;
        }

        @Override
        public String newCookie(String name, String path, Duration ttl) {
            generated.add(name + "|" + path + "|" + ttl.getSeconds());
            return "0123456789abcdef";
        }
    }

    private static HashPolicy policy(HashPolicy.Input input) {
        return new HashPolicy(List.of(new HashPolicy.Rule(input, false)));
    }

    @Test
    void aHeaderHashesItsValuesSortedAsOneString() {
        HashPolicy p = policy(new HashPolicy.Header("x-user"));

        assertThat(p.hash(new FakeRequest().header("x-user", "jason"))).hasValue(XxHash64.hash("jason"));
        assertThat(p.hash(new FakeRequest().header("x-user", "b").header("x-user", "a")))
                .as("values in any order").hasValue(XxHash64.hash("ab"))
                .isEqualTo(p.hash(new FakeRequest().header("x-user", "a").header("x-user", "b")));
        assertThat(p.hash(new FakeRequest())).isEmpty();
    }

    @Test
    void aCookieIsReadOrGeneratedOnlyWithATtl() {
        HashPolicy withTtl = policy(new HashPolicy.Cookie("session", "/app", Optional.of(Duration.ofSeconds(60))));
        HashPolicy withoutTtl = policy(new HashPolicy.Cookie("session", "", Optional.empty()));
        FakeRequest sent = new FakeRequest().header("cookie", "theme=dark; session=\"abc\"; x=1");

        assertThat(withTtl.hash(sent)).hasValue(XxHash64.hash("abc"));
        assertThat(withoutTtl.hash(sent)).hasValue(XxHash64.hash("abc"));
        assertThat(sent.generated).isEmpty();

        FakeRequest fresh = new FakeRequest().header("cookie", "theme=dark");
        assertThat(withoutTtl.hash(fresh)).isEmpty();
        assertThat(fresh.generated).isEmpty();
        assertThat(withTtl.hash(fresh)).hasValue(XxHash64.hash("0123456789abcdef"));
        assertThat(fresh.generated).containsExactly("session|/app|60");
    }

    @Test
    void cookieValuesAreFoundAsEnvoyFindsThem() {
        assertThat(HashPolicy.Cookie.cookieValue(List.of("a=1; session=xyz"), "session")).isEqualTo("xyz");
        assertThat(HashPolicy.Cookie.cookieValue(List.of("a=1", "session=two; session=three"), "session")).isEqualTo("two");
        assertThat(HashPolicy.Cookie.cookieValue(List.of("mysession=1;session"), "session")).isEmpty();
        assertThat(HashPolicy.Cookie.cookieValue(List.of("session=\"\""), "session")).isEmpty();
    }

    @Test
    void theSourceIpAndAQueryParameterAreHashedAsText() {
        assertThat(policy(new HashPolicy.SourceIp()).hash(new FakeRequest())).hasValue(XxHash64.hash("10.0.0.7"));
        HashPolicy q = policy(new HashPolicy.QueryParameter("tenant"));
        FakeRequest r = new FakeRequest();
        r.query = "a=1&tenant=acme%20co&tenant=other";
        assertThat(q.hash(r)).as("the first value, not decoded").hasValue(XxHash64.hash("acme%20co"));
        r.query = "tenant&b=2";
        assertThat(q.hash(r)).hasValue(XxHash64.hash(""));
        r.query = "tenants=1";
        assertThat(q.hash(r)).isEmpty();
        r.query = null;
        assertThat(q.hash(r)).isEmpty();
    }

    @Test
    void severalHashesCombineByRotatingAndXoringAndTerminalStopsOnceOneIsFound() {
        FakeRequest r = new FakeRequest().header("x-a", "1").header("x-b", "2");
        long a = XxHash64.hash("1");
        long b = XxHash64.hash("2");
        long ip = XxHash64.hash("10.0.0.7");
        HashPolicy.Rule ruleA = new HashPolicy.Rule(new HashPolicy.Header("x-a"), false);
        HashPolicy.Rule ruleB = new HashPolicy.Rule(new HashPolicy.Header("x-b"), false);
        HashPolicy.Rule absent = new HashPolicy.Rule(new HashPolicy.Header("x-none"), true);
        HashPolicy.Rule terminalB = new HashPolicy.Rule(new HashPolicy.Header("x-b"), true);
        HashPolicy.Rule sourceIp = new HashPolicy.Rule(new HashPolicy.SourceIp(), false);

        assertThat(new HashPolicy(List.of(ruleA, ruleB)).hash(r)).hasValue(Long.rotateLeft(a, 1) ^ b);
        assertThat(new HashPolicy(List.of(ruleA, ruleA)).hash(r)).as("equal rules do not cancel out")
                .hasValue(Long.rotateLeft(a, 1) ^ a).isNotEqualTo(OptionalLong.of(0));
        assertThat(new HashPolicy(List.of(absent, ruleB, sourceIp)).hash(r)).as("a terminal rule without a hash goes on")
                .hasValue(Long.rotateLeft(b, 1) ^ ip);
        assertThat(new HashPolicy(List.of(terminalB, sourceIp)).hash(r)).hasValue(b);
        assertThat(new HashPolicy(List.of(ruleA, terminalB, sourceIp)).hash(r)).hasValue(Long.rotateLeft(a, 1) ^ b);
        assertThat(HashPolicy.NONE.hash(r)).isEmpty();
    }
}
