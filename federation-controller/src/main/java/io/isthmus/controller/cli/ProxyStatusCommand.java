package io.isthmus.controller.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code isthmus proxy-status}: every proxy connected to a controller and whether it is in sync. */
@Command(name = "proxy-status", mixinStandardHelpOptions = true,
        description = "Lists the proxies connected to a controller with their sync state per xDS type (SYNCED, STALE, NACKED).")
public final class ProxyStatusCommand implements Callable<Integer> {

    @Option(names = "--controller", defaultValue = "http://127.0.0.1:15014", description = "The controller's monitoring URL (default ${DEFAULT-VALUE}).")
    String controller;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json.")
    String output;

    private PrintStream out = System.out;

    /** Prints to {@code stream} instead of standard output (tools, tests). */
    public ProxyStatusCommand printTo(PrintStream stream) {
        out = java.util.Objects.requireNonNull(stream, "stream");
        return this;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyStatusCommand()).execute(args));
    }

    @Override
    public Integer call() {
        try {
            JsonArray proxies = new JsonArray(new DebugClient(controller).get("/debug/syncz"));
            if ("json".equals(output)) {
                out.println(proxies.encodePrettily());
                return 0;
            }
            out.printf("%-60s %-8s %-10s %-10s %-8s %-8s %-8s %-8s %-8s %-8s%n",
                    "NAME", "CLUSTER", "NETWORK", "STATE", "CDS", "EDS", "LDS", "RDS", "SDS", "");
            for (Object o : proxies) {
                JsonObject p = (JsonObject) o;
                JsonObject t = p.getJsonObject("types", new JsonObject());
                out.printf("%-60s %-8s %-10s %-10s %-8s %-8s %-8s %-8s %-8s%n", p.getString("proxy"), p.getString("cluster"),
                        p.getString("network"), p.getString("state"), state(t, "cds"), state(t, "eds"), state(t, "lds"),
                        state(t, "rds"), state(t, "sds"));
                for (String type : t.fieldNames()) {
                    String nack = t.getJsonObject(type).getString("nack", "");
                    if (!nack.isEmpty()) {
                        out.printf("    %s NACK: %s%n", type, nack);
                    }
                }
            }
            return 0;
        } catch (Exception e) {
            System.err.println("isthmus proxy-status: " + e.getMessage());
            return 1;
        }
    }

    private static String state(JsonObject types, String t) {
        JsonObject s = types.getJsonObject(t);
        return s == null ? "-" : s.getString("state");
    }
}
