package io.isthmus.sidecar.filter;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An HTTP connection manager as the proxy runs it.
 *
 * @param statPrefix its stat prefix
 * @param rdsName the RDS route configuration to use; empty when {@code inlineRoutes} is given
 * @param inlineRoutes an inline route configuration
 * @param rbac authorization filters in order (each ALLOW or DENY)
 * @param forwardClientCert how {@code x-forwarded-client-cert} is handled
 */
public record HttpChain(String statPrefix, String rdsName, Optional<io.isthmus.sidecar.route.RouteTable> inlineRoutes,
                        List<RbacPolicy> rbac, ClientCertForwarding forwardClientCert) {

    public HttpChain {
        Objects.requireNonNull(statPrefix, "statPrefix");
        Objects.requireNonNull(rdsName, "rdsName");
        Objects.requireNonNull(inlineRoutes, "inlineRoutes");
        rbac = List.copyOf(rbac);
        Objects.requireNonNull(forwardClientCert, "forwardClientCert");
        if (rdsName.isEmpty() == inlineRoutes.isEmpty()) {
            throw new IllegalArgumentException("exactly one of rds and route_config is needed");
        }
    }

    /** Envoy's {@code forward_client_cert_details}, the modes the proxy honours. */
    public enum ClientCertForwarding {
        /** Remove any incoming header (Envoy's SANITIZE). */
        SANITIZE,
        /** Replace any incoming header with this connection's client certificate details. */
        SANITIZE_SET,
        /** Pass an incoming header unchanged (FORWARD_ONLY). */
        FORWARD_ONLY,
        /** Append this connection's details to an incoming header (APPEND_FORWARD). */
        APPEND_FORWARD
    }
}
