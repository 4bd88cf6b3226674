package io.isthmus.gateway.route;

import io.isthmus.gateway.RefusalReason;
import java.util.List;
import java.util.Objects;

/** What to do with a connection once its server name is known: pass it on, or refuse it. */
public sealed interface RouteDecision {

    /**
     * Pass the connection to one of {@code endpoints}.
     *
     * @param destinationService the service hostname, the {@code destination_service} metric label
     * @param clusterName the xDS cluster name (or the fixed route's server name)
     * @param endpoints candidates, not empty
     */
    record Pass(String destinationService, String clusterName, List<GatewayEndpoint> endpoints) implements RouteDecision {
        public Pass {
            Objects.requireNonNull(destinationService, "destinationService");
            Objects.requireNonNull(clusterName, "clusterName");
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("endpoints must not be empty");
            }
        }
    }

    /**
     * Refuse the connection.
     *
     * @param reason the counted reason
     * @param detail for logs
     */
    record Refuse(RefusalReason reason, String detail) implements RouteDecision {
        public Refuse {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
