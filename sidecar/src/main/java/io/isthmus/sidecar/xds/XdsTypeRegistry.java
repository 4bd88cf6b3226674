package io.isthmus.sidecar.xds;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.access_loggers.file.v3.FileAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StderrAccessLog;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.listener.http_inspector.v3.HttpInspector;
import io.envoyproxy.envoy.extensions.filters.listener.original_dst.v3.OriginalDst;
import io.envoyproxy.envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The protobuf {@link TypeRegistry} of every message the proxy may meet inside an
 * {@code Any} ({@code typed_config}, resources), used to read the bootstrap's JSON and to print
 * {@code /config_dump}. A type's descriptor (and the generated classes behind it) is loaded only when
 * a registry that holds it is first built: reading a bootstrap needs only the types it names.
 */
public final class XdsTypeRegistry {

    /** The types by full name, each descriptor built on first use (a lambda, not a method reference, loads nothing). */
    private static final Map<String, Supplier<Descriptor>> TYPES = Map.ofEntries(
            Map.entry("envoy.config.bootstrap.v3.Bootstrap", () -> Bootstrap.getDescriptor()),
            Map.entry("envoy.config.listener.v3.Listener", () -> Listener.getDescriptor()),
            Map.entry("envoy.config.route.v3.RouteConfiguration", () -> RouteConfiguration.getDescriptor()),
            Map.entry("envoy.config.cluster.v3.Cluster", () -> Cluster.getDescriptor()),
            Map.entry("envoy.config.endpoint.v3.ClusterLoadAssignment", () -> ClusterLoadAssignment.getDescriptor()),
            Map.entry("envoy.extensions.transport_sockets.tls.v3.Secret", () -> Secret.getDescriptor()),
            Map.entry("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    () -> HttpConnectionManager.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.router.v3.Router", () -> Router.getDescriptor()),
            Map.entry("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", () -> TcpProxy.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.rbac.v3.RBAC",
                    () -> io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor()),
            Map.entry("envoy.extensions.filters.network.rbac.v3.RBAC",
                    () -> io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.fault.v3.HTTPFault", () -> HTTPFault.getDescriptor()),
            // Istio's peer metadata exchange filter comes as a typed struct
            Map.entry("xds.type.v3.TypedStruct", () -> com.github.xds.type.v3.TypedStruct.getDescriptor()),
            Map.entry("udpa.type.v1.TypedStruct", () -> com.github.udpa.udpa.type.v1.TypedStruct.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.cors.v3.Cors",
                    () -> io.envoyproxy.envoy.extensions.filters.http.cors.v3.Cors.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.cors.v3.CorsPolicy",
                    () -> io.envoyproxy.envoy.extensions.filters.http.cors.v3.CorsPolicy.getDescriptor()),
            Map.entry("envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
                    () -> LocalRateLimit.getDescriptor()),
            Map.entry("envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
                    () -> TlsInspector.getDescriptor()),
            Map.entry("envoy.extensions.filters.listener.http_inspector.v3.HttpInspector",
                    () -> HttpInspector.getDescriptor()),
            Map.entry("envoy.extensions.filters.listener.original_dst.v3.OriginalDst", () -> OriginalDst.getDescriptor()),
            Map.entry("envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                    () -> UpstreamTlsContext.getDescriptor()),
            Map.entry("envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                    () -> DownstreamTlsContext.getDescriptor()),
            Map.entry("envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer", () -> RawBuffer.getDescriptor()),
            Map.entry("envoy.extensions.upstreams.http.v3.HttpProtocolOptions", () -> HttpProtocolOptions.getDescriptor()),
            Map.entry("envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
                    () -> PreviousHostsPredicate.getDescriptor()),
            Map.entry("envoy.extensions.access_loggers.file.v3.FileAccessLog", () -> FileAccessLog.getDescriptor()),
            Map.entry("envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", () -> StdoutAccessLog.getDescriptor()),
            Map.entry("envoy.extensions.access_loggers.stream.v3.StderrAccessLog", () -> StderrAccessLog.getDescriptor()));

    /** An {@code "@type": "<prefix>/<full name>"} member of JSON text. */
    private static final Pattern TYPE_URL = Pattern.compile("\"@type\"\\s*:\\s*\"(?:[^\"/]*/)?([^\"]+)\"");

    private XdsTypeRegistry() {
    }

    /** The registry of every type, built on first use. */
    private static final class All {
        static final TypeRegistry REGISTRY = TypeRegistry.newBuilder()
                .add(TYPES.values().stream().map(Supplier::get).toList()).build();
    }

    /** The full names of the types the registry holds. */
    public static java.util.Set<String> typeNames() {
        return TYPES.keySet();
    }

    /** The registry. */
    public static TypeRegistry registry() {
        return All.REGISTRY;
    }

    /** A JSON parser that knows these types and rejects unknown fields. */
    public static JsonFormat.Parser parser() {
        return JsonFormat.parser().usingTypeRegistry(All.REGISTRY);
    }

    /**
     * A JSON parser for {@code json} that knows, of these types, those {@code json} names in an
     * {@code "@type"} (what it reads is the same as with {@link #parser()} as long as those are all it needs).
     */
    public static JsonFormat.Parser parserFor(String json) {
        TypeRegistry.Builder named = TypeRegistry.newBuilder();
        Matcher m = TYPE_URL.matcher(json);
        while (m.find()) {
            Supplier<Descriptor> d = TYPES.get(m.group(1));
            if (d != null) {
                named.add(d.get());
            }
        }
        return JsonFormat.parser().usingTypeRegistry(named.build());
    }

    /** A JSON printer that knows these types, with Envoy's snake_case field names. */
    public static JsonFormat.Printer printer() {
        return JsonFormat.printer().usingTypeRegistry(All.REGISTRY).preservingProtoFieldNames();
    }
}
