package io.isthmus.controller.registry;

import java.util.Objects;

/**
 * One port of a service.
 *
 * @param name the port name, may be empty (single unnamed port)
 * @param port the service port, 1..65535; the port clients call
 * @param targetPort the container port, 1..65535, or 0 when the service names its target port (then
 *     each endpoint carries the number, see {@link WorkloadEndpoint#targetPort(ServicePort)})
 * @param protocol the application protocol
 */
public record ServicePort(String name, int port, int targetPort, Protocol protocol) {

    public ServicePort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (targetPort < 0 || targetPort > 65535) {
            throw new IllegalArgumentException("targetPort must be 0..65535, got " + targetPort);
        }
    }

    /** A port whose target is the same number. */
    public static ServicePort of(String name, int port, Protocol protocol) {
        return new ServicePort(name, port, port, protocol);
    }
}
