package io.isthmus.sidecar.bootstrap;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.isthmus.mesh.WellKnownPorts;
import io.isthmus.sidecar.xds.XdsTypeRegistry;
import io.vertx.core.json.JsonObject;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads an Envoy bootstrap ({@code envoy.config.bootstrap.v3.Bootstrap}) from YAML or JSON in
 * Envoy's JSON mapping (YAML is converted to JSON first, so a small Envoy config loads as-is) and
 * checks the parts the proxy relies on. Every error names the file and the field.
 */
public final class BootstrapLoader {

    /** The DNS name of the controller's serving certificate (DESIGN: identity and certificates). */
    public static final String DEFAULT_CONTROLLER_NAME = "isthmus-controller.isthmus-system.svc";

    private BootstrapLoader() {
    }

    /** Loads and checks a bootstrap file. */
    public static BootstrapConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BootstrapException("bootstrap " + file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses and checks bootstrap text (YAML or JSON); {@code source} names it in messages. */
    public static BootstrapConfig parse(String text, String source) {
        String json = toJson(text, source);
        Bootstrap bootstrap;
        try {
            // Read into a DynamicMessage (descriptor-driven) and decode its bytes as a Bootstrap: the same message,
            // without the reflective field accessors of every generated type the JSON names (classes, metaspace
            // and Method objects a proxy would keep for its lifetime for one read at start).
            // Only the typed_config types the text names are loaded; on any error it is read again with every
            // type, so that what is read, or the error named, is the same as with all of them.
            DynamicMessage.Builder builder = DynamicMessage.newBuilder(Bootstrap.getDescriptor());
            try {
                XdsTypeRegistry.parserFor(json).merge(json, builder);
            } catch (InvalidProtocolBufferException e) {
                builder = DynamicMessage.newBuilder(Bootstrap.getDescriptor());
                XdsTypeRegistry.parser().merge(json, builder);
            }
            bootstrap = Bootstrap.parseFrom(builder.build().toByteString());
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new BootstrapException("bootstrap " + source + ": " + e.getMessage(), e);
        }
        return check(bootstrap, source);
    }

    /** Checks an already built bootstrap message. */
    public static BootstrapConfig check(Bootstrap bootstrap, String source) {
        if (!bootstrap.hasNode()) {
            throw new BootstrapException("bootstrap " + source + ": field node: missing");
        }
        if (bootstrap.getNode().getId().isBlank()) {
            throw new BootstrapException("bootstrap " + source + ": field node.id: missing or blank");
        }
        Optional<HostPort> admin = Optional.empty();
        if (bootstrap.hasAdmin() && bootstrap.getAdmin().hasAddress()) {
            admin = Optional.of(socketAddress(bootstrap.getAdmin().getAddress(), source, "admin.address"));
        }
        return new BootstrapConfig(bootstrap, new NodeInfo(bootstrap.getNode()), admin,
                controlPlane(bootstrap, source), source);
    }

    private static Optional<BootstrapConfig.ControlPlaneAddress> controlPlane(Bootstrap b, String source) {
        if (!b.hasDynamicResources() || !b.getDynamicResources().hasAdsConfig()) {
            return Optional.empty();
        }
        var ads = b.getDynamicResources().getAdsConfig();
        String field = "dynamic_resources.ads_config";
        if (ads.getGrpcServicesCount() == 0) {
            throw new BootstrapException("bootstrap " + source + ": field " + field + ".grpc_services: empty");
        }
        GrpcService svc = ads.getGrpcServices(0);
        if (!svc.hasEnvoyGrpc() || svc.getEnvoyGrpc().getClusterName().isBlank()) {
            throw new BootstrapException("bootstrap " + source + ": field " + field
                    + ".grpc_services[0].envoy_grpc.cluster_name: missing (google_grpc is not supported)");
        }
        String name = svc.getEnvoyGrpc().getClusterName();
        List<Cluster> clusters = b.getStaticResources().getClustersList();
        int index = -1;
        for (int i = 0; i < clusters.size(); i++) {
            if (clusters.get(i).getName().equals(name)) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            throw new BootstrapException("bootstrap " + source + ": field " + field
                    + ".grpc_services[0].envoy_grpc.cluster_name: no static cluster named '" + name + "'");
        }
        Cluster c = clusters.get(index);
        String cf = "static_resources.clusters[" + index + "]";
        var la = c.getLoadAssignment();
        if (la.getEndpointsCount() == 0 || la.getEndpoints(0).getLbEndpointsCount() == 0) {
            throw new BootstrapException("bootstrap " + source + ": field " + cf
                    + ".load_assignment.endpoints[0].lb_endpoints: empty, the control plane has no address");
        }
        HostPort address = socketAddress(la.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress(), source,
                cf + ".load_assignment.endpoints[0].lb_endpoints[0].endpoint.address");
        String serverName = DEFAULT_CONTROLLER_NAME;
        boolean tls = c.hasTransportSocket() || address.port() == WellKnownPorts.XDS_SECURE;
        if (c.hasTransportSocket() && c.getTransportSocket().hasTypedConfig()
                && c.getTransportSocket().getTypedConfig().is(UpstreamTlsContext.class)) {
            try {
                String sni = c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class).getSni();
                if (!sni.isBlank()) {
                    serverName = sni;
                }
            } catch (InvalidProtocolBufferException e) {
                throw new BootstrapException("bootstrap " + source + ": field " + cf
                        + ".transport_socket.typed_config: " + e.getMessage(), e);
            }
        }
        return Optional.of(new BootstrapConfig.ControlPlaneAddress(name, address, tls, serverName));
    }

    private static HostPort socketAddress(Address a, String source, String field) {
        if (!a.hasSocketAddress()) {
            throw new BootstrapException("bootstrap " + source + ": field " + field + ".socket_address: missing");
        }
        SocketAddress s = a.getSocketAddress();
        if (s.getAddress().isBlank()) {
            throw new BootstrapException("bootstrap " + source + ": field " + field + ".socket_address.address: blank");
        }
        if (s.getPortValue() < 1 || s.getPortValue() > 65535) {
            throw new BootstrapException("bootstrap " + source + ": field " + field
                    + ".socket_address.port_value: out of range " + s.getPortValue());
        }
        return new HostPort(s.getAddress(), s.getPortValue());
    }

    /** JSON stays as it is; anything else is read as YAML and written out as JSON. */
    static String toJson(String text, String source) {
        String t = text.stripLeading();
        if (t.startsWith("{")) {
            return text;
        }
        Object tree;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            tree = new Yaml(new SafeConstructor(options)).load(text);
        } catch (YAMLException e) {
            throw new BootstrapException("bootstrap " + source + ": not valid YAML or JSON: " + e.getMessage(), e);
        }
        if (!(tree instanceof Map<?, ?>)) {
            throw new BootstrapException("bootstrap " + source + ": top level must be a mapping");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) plain(tree);
        return new JsonObject(map).encode();
    }

    private static Object plain(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            return l.stream().map(BootstrapLoader::plain).toList();
        }
        if (o instanceof Date d) {
            return d.toInstant().toString();
        }
        if (o instanceof byte[] bytes) {
            return java.util.Base64.getEncoder().encodeToString(bytes);
        }
        return o;
    }
}
