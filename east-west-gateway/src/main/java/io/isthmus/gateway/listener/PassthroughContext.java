package io.isthmus.gateway.listener;

import io.isthmus.gateway.lb.EndpointSelector;
import io.isthmus.gateway.relay.Transport;
import io.isthmus.gateway.route.SniRouter;
import io.isthmus.gateway.telemetry.GatewayMetrics;
import io.netty.channel.WriteBufferWaterMark;
import java.util.concurrent.CompletableFuture;

/** What every connection of one listener shares; {@code writeBufferWaterMark} is derived from the options once. */
record PassthroughContext(PassthroughOptions options, SniRouter router, EndpointSelector selector,
        GatewayMetrics metrics, Admission admission, Transport transport, long spliceAfterBytes,
        CompletableFuture<Void> routesReady, WriteBufferWaterMark writeBufferWaterMark) {
}
