package io.isthmus.e2e.manifests;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Just enough of an API server on loopback for {@code kubectl apply --dry-run=client}: API
 * discovery for the kinds the manifests use, and 404 for every object (so each one is a create).
 */
final class FakeDiscovery implements AutoCloseable {
    private record Res(String plural, String kind, boolean namespaced) {
    }

    private static final Map<String, List<Res>> GROUPS = Map.of(
            "v1", List.of(new Res("namespaces", "Namespace", false), new Res("services", "Service", true),
                    new Res("serviceaccounts", "ServiceAccount", true), new Res("secrets", "Secret", true),
                    new Res("configmaps", "ConfigMap", true), new Res("pods", "Pod", true)),
            "apps/v1", List.of(new Res("deployments", "Deployment", true)),
            "rbac.authorization.k8s.io/v1", List.of(new Res("clusterroles", "ClusterRole", false),
                    new Res("clusterrolebindings", "ClusterRoleBinding", false), new Res("roles", "Role", true),
                    new Res("rolebindings", "RoleBinding", true)),
            "apiextensions.k8s.io/v1", List.of(new Res("customresourcedefinitions", "CustomResourceDefinition", false)),
            "networking.istio.io/v1", List.of(new Res("virtualservices", "VirtualService", true),
                    new Res("destinationrules", "DestinationRule", true), new Res("serviceentries", "ServiceEntry", true),
                    new Res("gateways", "Gateway", true)),
            "security.istio.io/v1", List.of(new Res("peerauthentications", "PeerAuthentication", true),
                    new Res("authorizationpolicies", "AuthorizationPolicy", true)));

    private final HttpServer server;

    FakeDiscovery() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            String body;
            int status = 200;
            if (path.equals("/api")) {
                body = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":[]}";
            } else if (path.equals("/apis")) {
                body = "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[" + GROUPS.keySet().stream()
                        .filter(g -> g.contains("/")).map(g -> {
                            String[] gv = g.split("/");
                            String v = "{\"groupVersion\":\"" + g + "\",\"version\":\"" + gv[1] + "\"}";
                            return "{\"name\":\"" + gv[0] + "\",\"versions\":[" + v + "],\"preferredVersion\":" + v + "}";
                        }).collect(Collectors.joining(",")) + "]}";
            } else if (path.equals("/api/v1") || (path.startsWith("/apis/") && GROUPS.containsKey(path.substring(6)))) {
                String gv = path.equals("/api/v1") ? "v1" : path.substring(6);
                body = "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + gv + "\",\"resources\":["
                        + GROUPS.get(gv).stream().map(r -> "{\"name\":\"" + r.plural() + "\",\"singularName\":\"\",\"namespaced\":"
                                + r.namespaced() + ",\"kind\":\"" + r.kind() + "\",\"verbs\":[\"create\",\"delete\",\"get\",\"list\","
                                + "\"patch\",\"update\",\"watch\"]}").collect(Collectors.joining(",")) + "]}";
            } else {
                status = 404;
                body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404,"
                        + "\"message\":\"not found\"}";
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    /** A kubeconfig pointing at this server. */
    String kubeconfig() {
        return """
                apiVersion: v1
                kind: Config
                clusters: [{name: fake, cluster: {server: "http://127.0.0.1:%d"}}]
                users: [{name: fake, user: {token: fake}}]
                contexts: [{name: fake, context: {cluster: fake, user: fake}}]
                current-context: fake
                """.formatted(server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
