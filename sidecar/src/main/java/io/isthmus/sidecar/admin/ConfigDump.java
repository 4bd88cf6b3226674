package io.isthmus.sidecar.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.isthmus.sidecar.bootstrap.NodeInfo;
import io.isthmus.sidecar.cert.CertificateSource;
import io.isthmus.sidecar.xds.ResourceStore;
import io.isthmus.sidecar.xds.XdsResourceType;
import io.isthmus.sidecar.xds.XdsStatus;
import io.isthmus.sidecar.xds.XdsTypeRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Optional;

/**
 * Renders {@code /config_dump}: per xDS type the version in force, when it was applied, the last
 * rejection, and every resource (static and dynamic) in Envoy's JSON mapping; plus the node and the
 * certificates in force (never the private key).
 */
final class ConfigDump {
    private ConfigDump() {
    }

    static JsonObject render(NodeInfo node, ResourceStore store, CertificateSource certs, Optional<XdsStatus> xds) {
        JsonArray configs = new JsonArray();
        for (XdsResourceType t : XdsResourceType.values()) {
            ResourceStore.TypeState s = store.state(t);
            JsonObject c = new JsonObject()
                    .put("type", t.shortName())
                    .put("type_url", t.typeUrl())
                    .put("version_info", s.version())
                    .put("last_updated", s.updated().toString())
                    .put("static_resources", resources(s.staticResources(), "static"))
                    .put("dynamic_resources", resources(s.dynamicResources(), s.version()));
            s.lastRejection().ifPresent(r -> c.put("last_rejection", new JsonObject().put("version_info", r.version())
                    .put("error_detail", r.detail()).put("at", r.at().toString())));
            configs.add(c);
        }
        JsonObject certificates = new JsonObject()
                .put("trust_bundle_source", certs.trustAnchors().source())
                .put("roots", new JsonArray(certs.trustAnchors().roots().stream()
                        .map(r -> r.getSubjectX500Principal().getName()).toList()));
        certs.certificate().ifPresent(w -> certificates.put("workload", new JsonObject()
                .put("spiffe_id", w.spiffeId())
                .put("serial", w.leaf().getSerialNumber().toString(16))
                .put("not_before", w.notBefore().toString())
                .put("not_after", w.notAfter().toString())));
        JsonObject controlPlane = xds.map(x -> new JsonObject().put("server", x.server()).put("connected", x.connected())
                .put("last_change", x.lastChange().toString()).put("last_error", x.lastError())
                .put("acked_versions", new JsonObject(new java.util.LinkedHashMap<>(x.ackedVersions())))
                .put("subscribed", new JsonObject(x.subscribed().entrySet().stream().collect(java.util.stream.Collectors
                        .toMap(Map.Entry::getKey, e -> (Object) new JsonArray(e.getValue().stream().sorted().toList()))))))
                .orElse(new JsonObject().put("server", "none (static bootstrap only)"));
        return new JsonObject().put("node", json(node.node())).put("control_plane", controlPlane).put("configs", configs)
                .put("certificates", certificates);
    }

    private static JsonArray resources(Map<String, Message> resources, String version) {
        JsonArray a = new JsonArray();
        resources.forEach((name, m) -> a.add(new JsonObject().put("name", name).put("version_info", version)
                .put("resource", json(m))));
        return a;
    }

    private static Object json(Message m) {
        try {
            return new JsonObject(XdsTypeRegistry.printer().print(m));
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return "unprintable: " + e.getMessage();
        }
    }
}
