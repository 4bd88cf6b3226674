package io.isthmus.controller.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.isthmus.controller.registry.ClusterStatus;
import io.isthmus.controller.registry.FederatedRegistry;
import io.isthmus.controller.registry.FederatedService;
import io.isthmus.controller.registry.NetworkGateway;
import io.isthmus.controller.registry.ServicePort;
import io.isthmus.controller.registry.WorkloadEndpoint;
import io.isthmus.controller.translate.ProxyView;
import io.isthmus.controller.xds.ProxyStream;
import io.isthmus.controller.xds.SyncStatus;
import io.isthmus.controller.xds.XdsType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Renders the registry, the proxies' sync state and their configuration as JSON for the debug endpoints. */
final class DebugJson {
    /**
     * Every type the controller packs into an {@code Any} (typed_config, typed_extension_protocol_options,
     * api_listener, retry predicates): without one, config_dump shows {@code {"error":"Cannot find type..."}}.
     */
    static final JsonFormat.TypeRegistry TYPES = JsonFormat.TypeRegistry.newBuilder()
            .add(HttpConnectionManager.getDescriptor())
            .add(Router.getDescriptor())
            .add(RBAC.getDescriptor())
            .add(LocalRateLimit.getDescriptor())
            .add(ConnectionLimit.getDescriptor())
            .add(TcpProxy.getDescriptor())
            .add(TlsInspector.getDescriptor())
            .add(OriginalDst.getDescriptor())
            .add(UpstreamTlsContext.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer.getDescriptor())
            .add(DownstreamTlsContext.getDescriptor())
            .add(Secret.getDescriptor())
            .add(HttpProtocolOptions.getDescriptor())
            .add(PreviousHostsPredicate.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault.getDescriptor())
            .add(com.github.xds.type.v3.TypedStruct.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.getDescriptor())
            .build();

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer()
            .usingTypeRegistry(TYPES)
            .omittingInsignificantWhitespace();

    private DebugJson() {
    }

    static JsonObject registry(FederatedRegistry registry) {
        JsonArray services = new JsonArray();
        registry.services().stream().sorted(Comparator.comparing(FederatedService::hostname)).forEach(s -> {
            JsonArray ports = new JsonArray();
            for (ServicePort p : s.ports()) {
                ports.add(new JsonObject().put("name", p.name()).put("port", p.port()).put("targetPort", p.targetPort())
                        .put("protocol", p.protocol().name()));
            }
            JsonObject clusters = new JsonObject();
            s.clusters().forEach((c, cs) -> {
                JsonArray eps = new JsonArray();
                for (WorkloadEndpoint e : cs.endpoints()) {
                    eps.add(new JsonObject().put("address", e.address()).put("pod", e.podName()).put("network", e.network())
                            .put("locality", e.locality().toString()).put("health", e.health().name())
                            .put("serviceAccount", e.serviceAccount()).put("labels", new JsonObject(Map.copyOf(e.labels()))));
                }
                clusters.put(c, eps);
            });
            services.add(new JsonObject().put("hostname", s.hostname()).put("namespace", s.namespace()).put("name", s.name())
                    .put("ports", ports).put("clusters", clusters));
        });
        JsonArray gateways = new JsonArray();
        for (NetworkGateway g : registry.gateways()) {
            gateways.add(new JsonObject().put("network", g.network()).put("cluster", g.cluster()).put("address", g.address())
                    .put("port", g.port()));
        }
        return new JsonObject().put("services", services).put("gateways", gateways);
    }

    static JsonArray clusters(List<ClusterStatus> statuses) {
        JsonArray out = new JsonArray();
        for (ClusterStatus s : statuses) {
            out.add(new JsonObject().put("name", s.name()).put("state", s.state().name()).put("reason", s.reason())
                    .put("since", s.since().toString()).put("services", s.services()).put("endpoints", s.endpoints()));
        }
        return out;
    }

    static JsonArray sync(Collection<ProxyStream> streams) {
        JsonArray out = new JsonArray();
        streams.stream().filter(s -> s.view().isPresent())
                .sorted(Comparator.comparing(s -> s.view().get().nodeId()))
                .forEach(s -> {
                    ProxyView v = s.view().get();
                    List<SyncStatus> status = s.status();
                    JsonObject types = new JsonObject();
                    for (SyncStatus t : status) {
                        types.put(t.type().shortName(), new JsonObject().put("state", t.state().name())
                                .put("sent", t.sentVersion()).put("acked", t.ackedVersion()).put("nack", t.nackReason())
                                .put("resources", t.resourceCount()).put("sentAt", t.sentAt().toString()));
                    }
                    out.add(new JsonObject()
                            .put("proxy", v.nodeId())
                            .put("type", v.type().name().toLowerCase(java.util.Locale.ROOT))
                            .put("cluster", v.clusterId())
                            .put("network", v.network())
                            .put("locality", v.locality().toString())
                            .put("namespace", v.namespace())
                            .put("pod", v.podName())
                            .put("identity", s.peer().map(p -> p.spiffeId()).orElse(""))
                            .put("connectedAt", s.connectedAt().toString())
                            .put("state", SyncStatus.worst(status).name())
                            .put("types", types));
                });
        return out;
    }

    static JsonObject config(ProxyStream stream, XdsType type) {
        JsonArray resources = new JsonArray();
        for (Message m : type.of(stream.resources()).values()) {
            resources.add(new JsonObject(print(redacted(m))));
        }
        return new JsonObject().put("proxy", stream.view().map(ProxyView::nodeId).orElse(""))
                .put("type", type.shortName()).put("resources", resources);
    }

    /** A secret's private key is never shown (gateway credentials are served as SDS secrets), as Envoy's config_dump. */
    static Message redacted(Message m) {
        if (m instanceof Secret s && s.getTlsCertificate().hasPrivateKey()) {
            return s.toBuilder().setTlsCertificate(s.getTlsCertificate().toBuilder().setPrivateKey(
                    io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder().setInlineString("[redacted]"))).build();
        }
        return m;
    }

    static String print(Message m) {
        try {
            return PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            return new JsonObject().put("error", e.getMessage()).encode();
        }
    }
}
