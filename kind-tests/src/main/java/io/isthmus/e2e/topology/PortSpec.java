package io.isthmus.e2e.topology;

/**
 * A port of a service.
 *
 * @param name       the port name ({@code http}, {@code grpc}...)
 * @param port       the service port, 1..65535
 * @param targetPort the pod port the app listens on (on loopback, behind the sidecar); defaults to {@code port}
 * @param protocol   the application protocol
 */
public record PortSpec(String name, int port, int targetPort, Protocol protocol) {

    /** Application protocols the mesh tells apart. */
    public enum Protocol {
        /** HTTP/1.1 or h2c. */
        HTTP,
        /** gRPC (HTTP/2). */
        GRPC,
        /** Opaque TCP. */
        TCP,
        /** TLS the proxy does not terminate as a sidecar (port names {@code https}, e.g. a gateway's 443). */
        HTTPS
    }

    public PortSpec {
        Specs.requireName("ports.name", name);
        if (port < 1 || port > 65535) {
            throw new TopologyException("ports[" + name + "].port: " + port + " is not in 1..65535");
        }
        if (targetPort == 0) {
            targetPort = port;
        }
        if (targetPort < 1 || targetPort > 65535) {
            throw new TopologyException("ports[" + name + "].targetPort: " + targetPort + " is not in 1..65535");
        }
        if (protocol == null) {
            throw new TopologyException("ports[" + name + "].protocol: required (HTTP, GRPC, TCP or HTTPS)");
        }
    }
}
