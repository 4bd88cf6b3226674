package io.isthmus.e2e.topology;

/**
 * A service outside the mesh: an HTTPS server with a certificate from a CA that is not the mesh
 * root, on a network only the egress gateway of {@code cluster} reaches, known there by
 * {@code host} (the gateway's own name resolution maps the name to it).
 *
 * @param host    its DNS name, e.g. {@code api.external.test}
 * @param port    its HTTPS port (default 443)
 * @param cluster the cluster whose egress gateway reaches it
 */
public record ExternalServiceSpec(String host, int port, String cluster) {

    public ExternalServiceSpec {
        Specs.requireName("externalServices.host", host);
        if (port < 1 || port > 65535) {
            throw new TopologyException("externalServices[" + host + "].port: " + port + " is not in 1..65535");
        }
        Specs.requireName("externalServices[" + host + "].cluster", cluster);
    }
}
