package io.isthmus.sidecar.filter;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.isthmus.sidecar.route.RetryPolicy.RetryOn;
import io.isthmus.sidecar.route.RouteEntry;
import io.isthmus.sidecar.route.RouteTranslator;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * How the router reads the x-envoy-* request headers against a route (Envoy's router filter): what
 * they add, replace or are ignored for, and that every header read is removed; which headers the
 * connection manager strips from requests that are not internal.
 */
class RouterHeadersTest {

    private static RouteEntry route(RouteAction.Builder action) throws Exception {
        RouteConfiguration rc = RouteConfiguration.newBuilder().setName("r").addVirtualHosts(VirtualHost.newBuilder()
                .setName("v").addDomains("*").addRoutes(Route.newBuilder().setMatch(RouteMatch.newBuilder().setPrefix("/"))
                        .setRoute(action.setCluster("c")))).build();
        return RouteTranslator.translate(rc).virtualHosts().get(0).routes().get(0);
    }

    private static MultiMap headers(String... nameValues) {
        MultiMap h = HttpHeaders.headers();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    private static RetryPolicy.Builder policy(String on, int retries) {
        return RetryPolicy.newBuilder().setRetryOn(on).setNumRetries(UInt32Value.of(retries));
    }

    @Test
    void retryOnWithoutARoutePolicyAllowsOneRetryAndTheHeadersAreRemoved() throws Exception {
        MultiMap h = headers(RouterHeaders.RETRY_ON, "5xx, connect-failure,bogus", "x-other", "kept");

        RouterHeaders.Decision d = RouterHeaders.consume(route(RouteAction.newBuilder()), h);

        assertThat(d.retry().retryOn()).containsExactlyInAnyOrder(RetryOn.SERVER_ERROR, RetryOn.CONNECT_FAILURE);
        assertThat(d.retry().numRetries()).isEqualTo(1);
        assertThat(d.retry().enabled()).isTrue();
        assertThat(h.names()).containsExactly("x-other");
    }

    @Test
    void maxRetriesReplacesTheRouteNumberOnlyWhenAConditionIsInForce() throws Exception {
        RouteEntry withPolicy = route(RouteAction.newBuilder().setRetryPolicy(policy("5xx", 2)));
        assertThat(RouterHeaders.consume(withPolicy, headers(RouterHeaders.MAX_RETRIES, "0")).retry().enabled()).isFalse();
        assertThat(RouterHeaders.consume(withPolicy, headers(RouterHeaders.MAX_RETRIES, "7")).retry().numRetries()).isEqualTo(7);

        MultiMap alone = headers(RouterHeaders.MAX_RETRIES, "3");
        RouterHeaders.Decision d = RouterHeaders.consume(route(RouteAction.newBuilder()), alone);
        assertThat(d.retry().enabled()).isFalse();
        assertThat(alone.isEmpty()).isTrue();
    }

    @Test
    void invalidNumbersAreIgnoredButStillRemoved() throws Exception {
        RouteEntry r = route(RouteAction.newBuilder().setRetryPolicy(policy("5xx", 2))
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3)));
        for (String bad : List.of("-1", "two", "", "1.5", "99999999999999999999")) {
            MultiMap h = headers(RouterHeaders.MAX_RETRIES, bad, RouterHeaders.TIMEOUT_MS, bad,
                    RouterHeaders.PER_TRY_TIMEOUT_MS, bad);
            RouterHeaders.Decision d = RouterHeaders.consume(r, h);
            assertThat(d.retry().numRetries()).as(bad).isEqualTo(2);
            assertThat(d.timeout()).as(bad).isEqualTo(Duration.ofSeconds(3));
            assertThat(d.retry().perTryTimeout()).as(bad).isEmpty();
            assertThat(h.isEmpty()).as(bad).isTrue();
        }
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.MAX_RETRIES, " +4 ")).retry().numRetries()).isEqualTo(4);
    }

    @Test
    void grpcConditionsComeOnlyFromTheGrpcHeaderAndHttpOnesOnlyFromRetryOn() throws Exception {
        RouterHeaders.Decision d = RouterHeaders.consume(route(RouteAction.newBuilder()),
                headers(RouterHeaders.RETRY_ON, "unavailable,reset", RouterHeaders.RETRY_GRPC_ON, "cancelled,5xx,internal"));

        assertThat(d.retry().retryOn()).containsExactlyInAnyOrder(RetryOn.RESET, RetryOn.GRPC_CANCELLED, RetryOn.GRPC_INTERNAL);
    }

    @Test
    void retryOnAndStatusCodesAddToTheRoutePolicy() throws Exception {
        RouteEntry r = route(RouteAction.newBuilder().setRetryPolicy(policy("retriable-status-codes", 2)
                .addRetriableStatusCodes(503)));

        RouterHeaders.Decision d = RouterHeaders.consume(r, headers(RouterHeaders.RETRY_ON, "gateway-error",
                RouterHeaders.RETRIABLE_STATUS_CODES, "418, 409,x"));

        assertThat(d.retry().retryOn()).containsExactlyInAnyOrder(RetryOn.RETRIABLE_STATUS_CODES, RetryOn.GATEWAY_ERROR);
        assertThat(d.retry().retriableStatusCodes()).containsExactlyInAnyOrder(503, 418, 409);
        assertThat(d.retry().numRetries()).isEqualTo(2);
    }

    @Test
    void timeoutHeaderReplacesTheRouteTimeoutAndZeroMeansNone() throws Exception {
        RouteEntry r = route(RouteAction.newBuilder());

        assertThat(RouterHeaders.consume(r, headers()).timeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.TIMEOUT_MS, "250")).timeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.TIMEOUT_MS, "0")).timeout()).isZero();
    }

    @Test
    void aPerTryTimeoutNotBelowTheRouteTimeoutIsIgnored() throws Exception {
        RouteEntry r = route(RouteAction.newBuilder().setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .setRetryPolicy(policy("5xx", 1).setPerTryTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5))));

        assertThat(RouterHeaders.consume(r, headers()).retry().perTryTimeout()).isEmpty();
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.PER_TRY_TIMEOUT_MS, "300")).retry().perTryTimeout())
                .contains(Duration.ofMillis(300));
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.PER_TRY_TIMEOUT_MS, "1000")).retry().perTryTimeout()).isEmpty();
        assertThat(RouterHeaders.consume(r, headers(RouterHeaders.PER_TRY_TIMEOUT_MS, "5000", RouterHeaders.TIMEOUT_MS, "0"))
                .retry().perTryTimeout()).isEqualTo(Optional.of(Duration.ofSeconds(5)));
    }

    @Test
    void externalRequestsLoseTheControlHeadersAndInternalOnesAreMarked() {
        MultiMap ext = headers(RouterHeaders.RETRY_ON, "5xx", RouterHeaders.TIMEOUT_MS, "1", "x-envoy-decorator-operation", "op",
                RouterHeaders.INTERNAL, "true", "x-secret", "s", "x-app", "a");
        RouterHeaders.sanitize(ext, false, true, List.of("x-secret"));
        assertThat(ext.names()).containsExactly("x-app");

        MultiMap notEdge = headers("x-envoy-decorator-operation", "op", RouterHeaders.MAX_RETRIES, "1");
        RouterHeaders.sanitize(notEdge, false, false, List.of());
        assertThat(notEdge.names()).containsExactly("x-envoy-decorator-operation");

        MultiMap internal = headers(RouterHeaders.RETRY_ON, "5xx", "x-secret", "s");
        RouterHeaders.sanitize(internal, true, false, List.of("x-secret"));
        assertThat(internal.get(RouterHeaders.RETRY_ON)).isEqualTo("5xx");
        assertThat(internal.get("x-secret")).isEqualTo("s");
        assertThat(internal.get(RouterHeaders.INTERNAL)).isEqualTo("true");
    }

    @Test
    void internalAddressesFollowEnvoy() {
        assertThat(InternalAddresses.NONE.isInternal("127.0.0.1")).isFalse();
        InternalAddresses builtIn = new InternalAddresses(true, List.of());
        assertThat(List.of("10.1.2.3", "172.31.0.1", "192.168.1.1", "127.0.0.1", "::1", "fd00::5"))
                .allMatch(builtIn::isInternal);
        assertThat(List.of("127.0.0.2", "172.32.0.1", "8.8.8.8", "fe80::1", "localhost", "10.1.2.3:80", ""))
                .noneMatch(builtIn::isInternal);
        InternalAddresses ranges = new InternalAddresses(true, List.of(InternalAddresses.Cidr.parse("127.0.0.0", 8)));
        assertThat(ranges.isInternal("127.0.0.6")).isTrue();
        assertThat(ranges.isInternal("10.0.0.1")).isFalse();
    }
}
