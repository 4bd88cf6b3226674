package io.isthmus.e2e.topology;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a topology YAML file into a validated {@link Topology}. Unknown fields are errors (a typo
 * must not silently drop a cluster); every error names the file and the field's path.
 */
public final class TopologyLoader {
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    private TopologyLoader() {
    }

    /** Loads and validates a topology file. */
    public static Topology load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new TopologyException(file + ": cannot read: " + e.getMessage(), e);
        }
        String base = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        return parse(base, file.toString(), text);
    }

    /** Parses and validates topology YAML; {@code name} names it in errors and reports. */
    public static Topology parse(String name, String yaml) {
        return parse(name, name, yaml);
    }

    /** Parses topology YAML named {@code name}; errors start with {@code source} (the file it came from). */
    private static Topology parse(String name, String source, String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JacksonException e) {
            throw new TopologyException(source + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
        try {
            return topology(name, root);
        } catch (TopologyException e) {
            throw new TopologyException(source + ": " + e.getMessage(), e);
        }
    }

    private static Topology topology(String name, JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new TopologyException("the document must be a mapping with trustDomain, clusters, services");
        }
        only(root, "", Set.of("trustDomain", "clusters", "services", "remoteSecrets", "externalServices"));
        String td = text(root, "", "trustDomain", "cluster.local");
        List<ClusterSpec> clusters = list(root, "", "clusters", TopologyLoader::cluster);
        List<ServiceSpec> services = list(root, "", "services", TopologyLoader::service);
        List<RemoteSecretSpec> secrets = list(root, "", "remoteSecrets", (n, at) -> {
            only(n, at, Set.of("holder", "of"));
            return new RemoteSecretSpec(text(n, at, "holder", null), text(n, at, "of", null));
        });
        List<ExternalServiceSpec> external = list(root, "", "externalServices", (n, at) -> {
            only(n, at, Set.of("host", "port", "cluster"));
            return new ExternalServiceSpec(text(n, at, "host", null), integer(n, at, "port", 443), text(n, at, "cluster", null));
        });
        return new Topology(name, td, clusters, services, secrets, external);
    }

    private static ClusterSpec cluster(JsonNode n, String at) {
        only(n, at, Set.of("name", "network", "role", "controlPlane", "nodes", "gateways"));
        String roleText = text(n, at, "role", "primary");
        ClusterSpec.Role role = enumValue(ClusterSpec.Role.class, roleText, at + ".role");
        List<NodeSpec> nodes = list(n, at, "nodes", (node, nat) -> {
            only(node, nat, Set.of("name", "region", "zone", "subzone"));
            return new NodeSpec(text(node, nat, "name", null), text(node, nat, "region", null),
                    text(node, nat, "zone", null), text(node, nat, "subzone", ""));
        });
        List<GatewaySpec> gateways = list(n, at, "gateways", (g, gat) -> {
            only(g, gat, Set.of("kind", "zone", "hosts"));
            return new GatewaySpec(enumValue(GatewaySpec.Kind.class, text(g, gat, "kind", null), gat + ".kind"),
                    text(g, gat, "zone", null), strings(g, gat, "hosts"));
        });
        return new ClusterSpec(text(n, at, "name", null), text(n, at, "network", null), role,
                text(n, at, "controlPlane", ""), nodes, gateways);
    }

    private static ServiceSpec service(JsonNode n, String at) {
        only(n, at, Set.of("name", "namespace", "serviceAccount", "ports", "workloads"));
        String name = text(n, at, "name", null);
        List<PortSpec> ports = list(n, at, "ports", (p, pat) -> {
            only(p, pat, Set.of("name", "port", "targetPort", "protocol"));
            return new PortSpec(text(p, pat, "name", null), integer(p, pat, "port", -1),
                    integer(p, pat, "targetPort", 0),
                    enumValue(PortSpec.Protocol.class, text(p, pat, "protocol", "HTTP"), pat + ".protocol"));
        });
        List<WorkloadSpec> workloads = list(n, at, "workloads", (w, wat) -> {
            only(w, wat, Set.of("cluster", "zone", "version", "replicas", "capture", "sidecar"));
            return new WorkloadSpec(text(w, wat, "cluster", null), text(w, wat, "zone", null),
                    text(w, wat, "version", "v1"), integer(w, wat, "replicas", 1),
                    CaptureMode.parse(join(wat, "capture"), text(w, wat, "capture", "NONE")),
                    bool(w, wat, "sidecar", true));
        });
        return new ServiceSpec(name, text(n, at, "namespace", "default"), text(n, at, "serviceAccount", name),
                ports, workloads);
    }

    private static <T> List<T> list(JsonNode parent, String at, String field, ItemReader<T> reader) {
        JsonNode n = parent.get(field);
        String path = join(at, field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new TopologyException(path + ": must be a list");
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode item = n.get(i);
            String itemPath = path + "[" + i + "]";
            if (!item.isObject()) {
                throw new TopologyException(itemPath + ": must be a mapping");
            }
            try {
                out.add(reader.read(item, itemPath));
            } catch (TopologyException e) {
                throw e.getMessage().startsWith(itemPath) ? e : new TopologyException(itemPath + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static List<String> strings(JsonNode parent, String at, String field) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new TopologyException(join(at, field) + ": must be a list of names");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isString()) {
                throw new TopologyException(join(at, field) + "[" + i + "]: must be a name");
            }
            out.add(n.get(i).asString());
        }
        return out;
    }

    private static String text(JsonNode parent, String at, String field, String dflt) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            if (dflt == null) {
                throw new TopologyException(join(at, field) + ": required");
            }
            return dflt;
        }
        if (!n.isValueNode() || n.isContainer()) {
            throw new TopologyException(join(at, field) + ": must be a plain value, not " + n.getNodeType());
        }
        return n.asString();
    }

    private static int integer(JsonNode parent, String at, String field, int dflt) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            if (dflt < 0) {
                throw new TopologyException(join(at, field) + ": required");
            }
            return dflt;
        }
        if (!n.isIntegralNumber()) {
            throw new TopologyException(join(at, field) + ": must be an integer, got '" + n.asString() + "'");
        }
        return n.asInt();
    }

    private static boolean bool(JsonNode parent, String at, String field, boolean dflt) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new TopologyException(join(at, field) + ": must be true or false, got '" + n.asString() + "'");
        }
        return n.asBoolean();
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String path) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new TopologyException(path + ": '" + value + "' is not one of "
                    + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT));
        }
    }

    private static void only(JsonNode n, String at, Set<String> allowed) {
        for (String f : n.propertyNames()) {
            if (!allowed.contains(f)) {
                throw new TopologyException(join(at, f) + ": unknown field (allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
            }
        }
    }

    private static String join(String at, String field) {
        return at.isEmpty() ? field : at + "." + field;
    }

    @FunctionalInterface
    private interface ItemReader<T> {
        T read(JsonNode node, String path);
    }
}
