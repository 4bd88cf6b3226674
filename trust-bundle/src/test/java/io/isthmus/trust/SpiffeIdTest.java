package io.isthmus.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SpiffeIdTest {

    @Test
    void parsesAnIstioIdentity() {
        SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(id.trustDomain()).isEqualTo("cluster.local");
        assertThat(id.path()).isEqualTo("/ns/default/sa/reviews");
        assertThat(id.namespace()).contains("default");
        assertThat(id.serviceAccount()).contains("reviews");
        assertThat(id).isEqualTo(SpiffeId.of("cluster.local", "default", "reviews"));
        assertThat(id.toString()).isEqualTo("spiffe://cluster.local/ns/default/sa/reviews");
        assertThat(id.toUri().getScheme()).isEqualTo("spiffe");
    }

    @Test
    void acceptsTrustDomainOnlyAndOtherPaths() {
        assertThat(SpiffeId.parse("spiffe://example.org").path()).isEmpty();
        SpiffeId other = SpiffeId.parse("spiffe://my-td_1.example/Workload/A.b-c_d");
        assertThat(other.namespace()).isEmpty();
        assertThat(other.serviceAccount()).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "''|cannot be empty",
        "http://cluster.local/ns/a/sa/b|scheme is missing or is not 'spiffe://'",
        "cluster.local/ns/a/sa/b|scheme is missing",
        "SPIFFE://cluster.local/ns/a|scheme must be lowercase",
        "spiffe:cluster.local|scheme must be followed by '://'",
        "spiffe:///ns/a/sa/b|trust domain is missing",
        "spiffe://|trust domain is missing",
        "spiffe://Cluster.local/ns/a|trust domain character 'C' at position 0 is not allowed",
        "spiffe://cluster.local:8080/ns/a|port is not allowed",
        "spiffe://user@cluster.local/ns/a|user info is not allowed",
        "spiffe://cluster.local/ns/a?x=1|query is not allowed",
        "spiffe://cluster.local/ns/a#frag|fragment is not allowed",
        "spiffe://cluster.local/|path must not end with '/'",
        "spiffe://cluster.local/ns//sa|path must not contain empty segments",
        "spiffe://cluster.local/ns/./sa|path must not contain '.' or '..' segments",
        "spiffe://cluster.local/ns/../sa|path must not contain '.' or '..' segments",
        "spiffe://cluster.local/ns/a b|path character ' ' in segment 'a b' is not allowed",
        "spiffe://cluster.local/ns/%41|path character '%'",
        "spiffe://clus ter.local/x|trust domain character ' '",
    })
    void refusesInvalidIdsWithThePreciseRule(String input, String reason) {
        assertThatThrownBy(() -> SpiffeId.parse(input))
                .isInstanceOf(InvalidSpiffeIdException.class)
                .hasMessageContaining(reason)
                .hasMessageContaining("invalid SPIFFE ID '" + input.substring(0, Math.min(input.length(), 10)));
    }

    @Test
    void refusesOverlongIds() {
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://" + "a".repeat(256)))
                .hasMessageContaining("trust domain is longer than 255");
        assertThatThrownBy(() -> SpiffeId.parse("spiffe://td/" + "a".repeat(2100)))
                .hasMessageContaining("longer than 2048");
    }

    @Test
    void ofValidatesItsParts() {
        assertThatThrownBy(() -> SpiffeId.of("cluster.local", "a/b", "c"))
                .isInstanceOf(InvalidSpiffeIdException.class);
        assertThatThrownBy(() -> SpiffeId.of("cluster.local", "", "c"))
                .hasMessageContaining("empty segments");
    }
}
