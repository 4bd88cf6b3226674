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

import java.util.List;

/**
 * The protobuf {@link TypeRegistry} of every message the proxy may meet inside an
 * {@code Any} ({@code typed_config}, resources), used to read the bootstrap's JSON and to print
 * {@code /config_dump}.
 */
public final class XdsTypeRegistry {

    private static final List<Descriptor> TYPES = List.of(
            Bootstrap.getDescriptor(), Listener.getDescriptor(), RouteConfiguration.getDescriptor(),
            Cluster.getDescriptor(), ClusterLoadAssignment.getDescriptor(), Secret.getDescriptor(),
            HttpConnectionManager.getDescriptor(), Router.getDescriptor(), TcpProxy.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor(),
            io.envoyproxy.envoy.extensions.filters.network.rbac.v3.RBAC.getDescriptor(),
            HTTPFault.getDescriptor(), LocalRateLimit.getDescriptor(),
            TlsInspector.getDescriptor(), HttpInspector.getDescriptor(), OriginalDst.getDescriptor(),
            UpstreamTlsContext.getDescriptor(), DownstreamTlsContext.getDescriptor(), RawBuffer.getDescriptor(),
            HttpProtocolOptions.getDescriptor(), PreviousHostsPredicate.getDescriptor(),
            FileAccessLog.getDescriptor(), StdoutAccessLog.getDescriptor(), StderrAccessLog.getDescriptor());

    private static final TypeRegistry REGISTRY = TypeRegistry.newBuilder().add(TYPES).build();

    private XdsTypeRegistry() {
    }

    /** The registry. */
    public static TypeRegistry registry() {
        return REGISTRY;
    }

    /** A JSON parser that knows these types and rejects unknown fields. */
    public static JsonFormat.Parser parser() {
        return JsonFormat.parser().usingTypeRegistry(REGISTRY);
    }

    /** A JSON printer that knows these types, with Envoy's snake_case field names. */
    public static JsonFormat.Printer printer() {
        return JsonFormat.printer().usingTypeRegistry(REGISTRY).preservingProtoFieldNames();
    }
}
