package io.isthmus.controller.federation;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How this controller's embedded Hazelcast member is set up.
 *
 * @param clusterName the Hazelcast cluster name; replicas with the same name and reachable members
 *     form one cluster (default {@code isthmus-<cluster>}, so controllers of different clusters never
 *     merge by accident)
 * @param address the address to bind and announce (default 127.0.0.1); never the wildcard
 * @param port the member port (default 5701)
 * @param members other members as {@code host:port}, each listed separately; empty = standalone
 *     (unless {@code kubernetes} is given)
 * @param kubernetes find the other replicas through Hazelcast's Kubernetes discovery instead of a
 *     member list (the replicas' headless Service); empty = TCP-IP join with {@code members}
 */
public record HazelcastOptions(String clusterName, String address, int port, List<String> members,
                               Optional<KubernetesJoin> kubernetes) {

    /**
     * Replicas found through the Kubernetes API: the ready endpoints of a (headless) Service, read
     * from its EndpointSlices ({@code discovery.k8s.io/v1}, else its Endpoints). Each endpoint's
     * port is the Service port named {@code hazelcast} (or its only port).
     *
     * @param namespace the Service's namespace, e.g. {@code isthmus-system}
     * @param serviceName the Service selecting the controller replicas, e.g. {@code isthmus-controller-hazelcast}
     * @param apiServer how to reach the API server; empty = from inside a pod (Hazelcast reads
     *     {@code KUBERNETES_SERVICE_HOST}/{@code _PORT} and the service account's token and {@code ca.crt})
     */
    public record KubernetesJoin(String namespace, String serviceName, Optional<ApiServer> apiServer) {
        public KubernetesJoin {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(serviceName, "serviceName");
            Objects.requireNonNull(apiServer, "apiServer");
            if (namespace.isBlank() || serviceName.isBlank()) {
                throw new IllegalArgumentException("namespace and serviceName must not be blank");
            }
        }

        /** Discovery from inside a pod: the API server and credentials of the pod's service account. */
        public KubernetesJoin(String namespace, String serviceName) {
            this(namespace, serviceName, Optional.empty());
        }

        /** {@code namespace/serviceName}, for messages. */
        public String service() {
            return namespace + "/" + serviceName;
        }
    }

    /**
     * An API server reached explicitly (outside a pod, or in tests).
     *
     * @param url {@code https://host:port}
     * @param token the bearer token (needs {@code get}/{@code list} on endpointslices and endpoints in the namespace)
     * @param caCertificatePem the PEM certificate(s) the server's certificate must chain to
     */
    public record ApiServer(String url, String token, String caCertificatePem) {
        public ApiServer {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(caCertificatePem, "caCertificatePem");
            if (!url.startsWith("https://")) {
                throw new IllegalArgumentException("API server url must be https://host:port, got " + url);
            }
            url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
            if (!caCertificatePem.contains("-----BEGIN CERTIFICATE-----")) {
                throw new IllegalArgumentException("caCertificatePem: no PEM certificate");
            }
        }

        @Override
        public String toString() {
            return "ApiServer[" + url + "]";
        }
    }

    /** TCP-IP join with an explicit member list (empty = standalone). */
    public HazelcastOptions(String clusterName, String address, int port, List<String> members) {
        this(clusterName, address, port, members, Optional.empty());
    }

    public HazelcastOptions {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(address, "address");
        members = List.copyOf(Objects.requireNonNull(members, "members"));
        Objects.requireNonNull(kubernetes, "kubernetes");
        if (kubernetes.isPresent() && !members.isEmpty()) {
            throw new IllegalArgumentException("give either a member list or Kubernetes discovery, not both");
        }
        if (clusterName.isBlank() || address.isBlank()) {
            throw new IllegalArgumentException("clusterName and address must not be blank");
        }
        if (address.equals("0.0.0.0") || address.equals("::")) {
            throw new IllegalArgumentException("Hazelcast must bind a specific address, not " + address);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        for (String m : members) {
            int colon = m.lastIndexOf(':');
            if (colon <= 0 || m.substring(colon + 1).contains("-") || !m.substring(colon + 1).chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("member must be host:port (no port ranges), got " + m);
            }
        }
    }

    /** A standalone member of controller cluster {@code cluster} on 127.0.0.1:port. */
    public static HazelcastOptions standalone(String cluster, int port) {
        return new HazelcastOptions("isthmus-" + cluster, "127.0.0.1", port, List.of());
    }

    /** Parses {@code --hazelcast-members}: comma separated {@code host:port}, blank = none. */
    public static List<String> parseMembers(String csv) {
        if (csv == null || csv.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
