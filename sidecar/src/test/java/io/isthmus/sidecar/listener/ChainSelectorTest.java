package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.filter.TcpChain;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Envoy's filter chain match on server name then transport protocol. */
class ChainSelectorTest {

    static FilterChainConfig chain(String name, String transport, String... serverNames) {
        return new FilterChainConfig(name, List.of(serverNames), transport, Optional.empty(), Optional.empty(),
                Optional.of(TcpChain.of(name, "c", List.of())), Optional.empty());
    }

    static Optional<String> pick(List<FilterChainConfig> chains, String sni, boolean tls) {
        return ChainSelector.select(chains, sni, tls).map(FilterChainConfig::name);
    }

    @Test
    void exactThenLongestWildcardThenNoNames() {
        List<FilterChainConfig> chains = List.of(chain("any", ""), chain("wild", "", "*.example.com"),
                chain("deep", "", "*.api.example.com"), chain("exact", "", "www.example.com"));
        assertThat(pick(chains, "www.example.com", true)).hasValue("exact");
        assertThat(pick(chains, "v1.api.example.com", true)).hasValue("deep");
        assertThat(pick(chains, "shop.example.com", true)).hasValue("wild");
        assertThat(pick(chains, "example.com", true)).as("*.example.com needs a label before it").hasValue("any");
        assertThat(pick(chains, "other.org", true)).hasValue("any");
        assertThat(pick(chains, null, false)).hasValue("any");
    }

    @Test
    void noMatchWithoutAChainWithoutNames() {
        List<FilterChainConfig> chains = List.of(chain("a", "", "a.example.com"));
        assertThat(pick(chains, "b.example.com", true)).isEmpty();
        assertThat(pick(chains, null, true)).isEmpty();
    }

    @Test
    void transportProtocolAfterServerNameWithoutGoingBack() {
        List<FilterChainConfig> chains = List.of(chain("tls", "tls"), chain("plain", "raw_buffer"),
                chain("named-tls", "tls", "a.example.com"));
        assertThat(pick(chains, null, true)).hasValue("tls");
        assertThat(pick(chains, null, false)).hasValue("plain");
        assertThat(pick(chains, "a.example.com", true)).hasValue("named-tls");
        assertThat(pick(chains, "a.example.com", false)).as("the server name level matched; no fallback").isEmpty();
    }
}
