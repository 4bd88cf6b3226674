package io.isthmus.controller.config;

import static io.isthmus.controller.config.ConfigParserTest.parse;
import static io.isthmus.controller.config.ConfigParserTest.rejects;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code loadBalancer.consistentHash}: every key and algorithm read, every mistake named. */
class ConsistentHashParseTest {
    private static final String HEAD = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
            + "metadata: {name: r, namespace: default}\nspec:\n  host: reviews\n  trafficPolicy:\n    loadBalancer:\n";
    private static final String AT = "spec.trafficPolicy.loadBalancer.consistentHash";

    private static ConsistentHash read(String lb) {
        DestinationRule dr = (DestinationRule) parse(HEAD + lb.indent(6));
        return dr.trafficPolicy().loadBalancer().orElseThrow().consistentHash().orElseThrow();
    }

    @Test
    void eachKeyAndTheRingHashByDefault() {
        assertThat(read("consistentHash: {httpHeaderName: X-User}")).isEqualTo(new ConsistentHash(
                new ConsistentHash.Header("x-user"), new ConsistentHash.RingHash(ConsistentHash.DEFAULT_MINIMUM_RING_SIZE)));
        assertThat(read("consistentHash: {httpCookie: {name: session, path: /, ttl: 1h}}").key())
                .isEqualTo(new ConsistentHash.Cookie("session", "/", Optional.of(Duration.ofHours(1))));
        assertThat(read("consistentHash: {httpCookie: {name: session, ttl: 0s}}").key())
                .isEqualTo(new ConsistentHash.Cookie("session", "", Optional.of(Duration.ZERO)));
        assertThat(read("consistentHash: {httpCookie: {name: session}}").key())
                .isEqualTo(new ConsistentHash.Cookie("session", "", Optional.empty()));
        assertThat(read("consistentHash: {useSourceIp: true}").key()).isEqualTo(new ConsistentHash.SourceIp());
        assertThat(read("consistentHash: {httpQueryParameterName: user}").key()).isEqualTo(new ConsistentHash.QueryParameter("user"));
    }

    @Test
    void ringSizesAndMaglevTables() {
        assertThat(read("consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 4096}}").algorithm())
                .isEqualTo(new ConsistentHash.RingHash(4096));
        assertThat(read("consistentHash: {useSourceIp: true, minimumRingSize: 2048}").algorithm())
                .isEqualTo(new ConsistentHash.RingHash(2048));
        assertThat(read("consistentHash: {useSourceIp: true, maglev: {tableSize: 65537}}").algorithm())
                .isEqualTo(new ConsistentHash.Maglev(65537));
        assertThat(read("consistentHash: {useSourceIp: true, maglev: {}}").algorithm()).isEqualTo(new ConsistentHash.Maglev(0));
    }

    @Test
    void eachMistakeIsNamed() {
        rejects(HEAD + "      consistentHash: {}\n", AT, "needs exactly one of httpHeaderName");
        rejects(HEAD + "      consistentHash: {useSourceIp: false}\n", AT, "needs exactly one of");
        rejects(HEAD + "      consistentHash: {httpHeaderName: x-user, useSourceIp: true}\n", AT, "got 2");
        rejects(HEAD + "      consistentHash: {httpHeaderName: \"x user\"}\n", AT + ".httpHeaderName", "not a header name");
        rejects(HEAD + "      consistentHash: {httpCookie: {path: /}}\n", AT + ".httpCookie.name", "required");
        rejects(HEAD + "      consistentHash: {httpCookie: {name: \"a;b\"}}\n", AT + ".httpCookie.name", "not a cookie name");
        rejects(HEAD + "      consistentHash: {httpCookie: {name: s, ttl: forever}}\n", AT + ".httpCookie.ttl", "must be a duration");
        rejects(HEAD + "      consistentHash: {httpCookie: {name: s, attributes: []}}\n", AT + ".httpCookie.attributes",
                "field not supported");
        rejects(HEAD + "      consistentHash: {useSourceIp: true, maglev: {tableSize: 65536}}\n", AT + ".maglev.tableSize",
                "must be a prime number, got 65536");
        rejects(HEAD + "      consistentHash: {useSourceIp: true, ringHash: {}, maglev: {}}\n", AT + ".maglev",
                "ringHash and maglev cannot both be set");
        rejects(HEAD + "      consistentHash: {useSourceIp: true, minimumRingSize: 10, ringHash: {}}\n", AT + ".minimumRingSize",
                "cannot be set with ringHash or maglev");
        rejects(HEAD + "      consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 99999999}}\n",
                AT + ".ringHash.minimumRingSize", "must be 1..8388608");
        rejects(HEAD + "      simple: RANDOM\n      consistentHash: {useSourceIp: true}\n", AT,
                "simple and consistentHash cannot both be set");
    }
}
