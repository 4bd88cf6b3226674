package io.isthmus.controller.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code isthmus proxy-config clusters|endpoints|listeners|routes|secrets <proxy>}: what a controller sends one proxy. */
@Command(name = "proxy-config", mixinStandardHelpOptions = true,
        description = "Shows the xDS resources a controller currently serves one proxy (by node id, pod name or pod.namespace).")
public final class ProxyConfigCommand extends DebugCommand<ProxyConfigCommand> {

    /** The resource kinds. */
    public enum Kind { clusters, endpoints, listeners, routes, secrets }

    @Parameters(index = "0", description = "clusters, endpoints, listeners, routes or secrets")
    Kind kind;

    @Parameters(index = "1", description = "The proxy: node id, pod name, or pod.namespace.")
    String proxy;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyConfigCommand()).execute(args));
    }

    @Override
    public Integer call() {
        try {
            JsonObject dump = new JsonObject(new DebugClient(controller).get("/debug/config_dump?proxy="
                    + DebugClient.encode(proxy) + "&type=" + kind.name()));
            JsonArray resources = dump.getJsonArray("resources", new JsonArray());
            if (output == Output.json) {
                out.println(dump.encodePrettily());
                return 0;
            }
            switch (kind) {
                case clusters -> {
                    out.printf("%-70s %-8s%n", "NAME", "TYPE");
                    resources.forEach(o -> out.printf("%-70s %-8s%n", ((JsonObject) o).getString("name"), ((JsonObject) o).getString("type", "EDS")));
                }
                case endpoints -> {
                    out.printf("%-24s %-10s %-8s %-30s %s%n", "ENDPOINT", "PRIORITY", "WEIGHT", "LOCALITY", "CLUSTER");
                    for (Object o : resources) {
                        JsonObject cla = (JsonObject) o;
                        for (Object g : cla.getJsonArray("endpoints", new JsonArray())) {
                            JsonObject group = (JsonObject) g;
                            JsonObject loc = group.getJsonObject("locality", new JsonObject());
                            String locality = loc.getString("region", "") + "/" + loc.getString("zone", "") + "/" + loc.getString("subZone", "");
                            for (Object e : group.getJsonArray("lbEndpoints", new JsonArray())) {
                                JsonObject sa = ((JsonObject) e).getJsonObject("endpoint").getJsonObject("address").getJsonObject("socketAddress");
                                out.printf("%-24s %-10d %-8d %-30s %s%n", sa.getString("address") + ":" + sa.getInteger("portValue"),
                                        group.getInteger("priority", 0), ((JsonObject) e).getInteger("loadBalancingWeight", 1), locality,
                                        cla.getString("clusterName"));
                            }
                        }
                    }
                }
                case listeners -> {
                    out.printf("%-40s %s%n", "NAME", "ADDRESS");
                    for (Object o : resources) {
                        JsonObject l = (JsonObject) o;
                        JsonObject sa = l.getJsonObject("address", new JsonObject()).getJsonObject("socketAddress", new JsonObject());
                        out.printf("%-40s %s%n", l.getString("name"), sa.isEmpty() ? "(api listener)" : sa.getString("address") + ":" + sa.getInteger("portValue"));
                    }
                }
                case routes -> {
                    out.printf("%-10s %-50s %s%n", "NAME", "VIRTUAL HOST", "DOMAINS");
                    for (Object o : resources) {
                        JsonObject rc = (JsonObject) o;
                        for (Object v : rc.getJsonArray("virtualHosts", new JsonArray())) {
                            JsonObject vh = (JsonObject) v;
                            out.printf("%-10s %-50s %s%n", rc.getString("name"), vh.getString("name"), vh.getJsonArray("domains", new JsonArray()).encode());
                        }
                    }
                }
                case secrets -> {
                    out.printf("%-10s %s%n", "NAME", "CERTIFICATES");
                    for (Object o : resources) {
                        JsonObject s = (JsonObject) o;
                        String pem = s.getJsonObject("validationContext", new JsonObject()).getJsonObject("trustedCa", new JsonObject())
                                .getString("inlineString", "");
                        out.printf("%-10s %d root(s)%n", s.getString("name"), pem.split("BEGIN CERTIFICATE", -1).length - 1);
                    }
                }
                default -> throw new IllegalStateException();
            }
            return 0;
        } catch (Exception e) {
            err.println("isthmus proxy-config: " + DebugClient.describe(e));
            return 1;
        }
    }
}
