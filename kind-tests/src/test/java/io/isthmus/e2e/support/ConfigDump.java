package io.isthmus.e2e.support;

import io.isthmus.e2e.driver.MeshPod;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** A pod's sidecar configuration as its admin {@code /config_dump} shows it. */
public final class ConfigDump {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigDump() {
    }

    /** The first resource (a JSON object whose {@code name} is {@code name}: a cluster, listener...) in the pod's dump. */
    public static Optional<JsonNode> resource(MeshPod pod, String name) {
        return find(JSON.readTree(pod.call("http://127.0.0.1:15000/config_dump").body()), name);
    }

    private static Optional<JsonNode> find(JsonNode node, String name) {
        if (node.isObject() && node.has("name") && name.equals(node.get("name").asString())) {
            return Optional.of(node);
        }
        for (JsonNode child : node) {
            Optional<JsonNode> found = find(child, name);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }
}
