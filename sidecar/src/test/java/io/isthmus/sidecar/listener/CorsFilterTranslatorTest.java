package io.isthmus.sidecar.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.isthmus.sidecar.errors.InvalidResourceException;
import io.isthmus.sidecar.filter.HttpChain;
import io.isthmus.sidecar.testing.Xds;
import org.junit.jupiter.api.Test;

/** The CORS HTTP filter in an HTTP connection manager: accepted, where it runs, and what is refused by name. */
class CorsFilterTranslatorTest {

    static final String FILTERS = "filter_chains[0].filters[0].typed_config.http_filters";

    static HttpFilter filter(String name, Message config) {
        return HttpFilter.newBuilder().setName(name).setTypedConfig(Xds.any(config)).build();
    }

    static final HttpFilter CORS = filter("envoy.filters.http.cors", Cors.getDefaultInstance());
    static final HttpFilter FAULT = filter("envoy.filters.http.fault", HTTPFault.getDefaultInstance());
    static final HttpFilter RBAC_FILTER = filter("envoy.filters.http.rbac", RBAC.getDefaultInstance());

    static Listener listener(HttpFilter... filters) {
        HttpConnectionManager.Builder hcm = HttpConnectionManager.newBuilder().setStatPrefix("out")
                .setRds(Rds.newBuilder().setRouteConfigName("80").setConfigSource(Xds.ads()));
        for (HttpFilter f : filters) {
            hcm.addHttpFilters(f);
        }
        hcm.addHttpFilters(Xds.router());
        return Listener.newBuilder().setName("out").setAddress(Xds.address("127.0.0.2", 8080))
                .addFilterChains(FilterChain.newBuilder().addFilters(Filter.newBuilder()
                        .setName("envoy.filters.network.http_connection_manager").setTypedConfig(Xds.any(hcm.build()))))
                .build();
    }

    static HttpChain.Cors cors(HttpFilter... filters) throws InvalidResourceException {
        return ListenerTranslator.translate(listener(filters)).orElseThrow().chains().get(0).http().orElseThrow().cors();
    }

    @Test
    void theFiltersPlaceIsKeptRelativeToFaultInjection() throws Exception {
        assertThat(cors(RBAC_FILTER, CORS, FAULT)).isEqualTo(HttpChain.Cors.BEFORE_FAULT);
        assertThat(cors(CORS)).isEqualTo(HttpChain.Cors.BEFORE_FAULT);
        assertThat(cors(FAULT, CORS)).isEqualTo(HttpChain.Cors.AFTER_FAULT);
        assertThat(cors(FAULT)).isEqualTo(HttpChain.Cors.NONE);
        assertThat(cors(CORS.toBuilder().setDisabled(true).build(), FAULT)).as("a disabled filter is skipped").isEqualTo(HttpChain.Cors.NONE);
    }

    @Test
    void whatTheProxyCannotRunIsRefusedByName() {
        assertThatThrownBy(() -> cors(CORS, CORS)).isInstanceOf(InvalidResourceException.class)
                .satisfies(e -> assertThat(((InvalidResourceException) e).field()).isEqualTo(FILTERS + "[1]"))
                .hasMessageContaining("only one CORS filter");
        assertThatThrownBy(() -> cors(CORS, RBAC_FILTER)).isInstanceOf(InvalidResourceException.class)
                .satisfies(e -> assertThat(((InvalidResourceException) e).field()).isEqualTo(FILTERS + "[1]"))
                .hasMessageContaining("must come before envoy.filters.http.cors");
        HttpFilter bad = HttpFilter.newBuilder().setName("envoy.filters.http.cors").setTypedConfig(com.google.protobuf.Any.newBuilder()
                .setTypeUrl("type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors")
                .setValue(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff}))).build();
        assertThatThrownBy(() -> cors(bad)).isInstanceOf(InvalidResourceException.class).hasMessageContaining("cannot decode");
    }
}
