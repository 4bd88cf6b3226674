package io.isthmus.controller.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code isthmus proxy-status}: every proxy connected to a controller and whether it is in sync. */
@Command(name = "proxy-status", mixinStandardHelpOptions = true,
        description = "Lists the proxies connected to a controller with their sync state per xDS type (SYNCED, STALE, NACKED).")
public final class ProxyStatusCommand extends DebugCommand<ProxyStatusCommand> {

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyStatusCommand()).execute(args));
    }

    @Override
    public Integer call() {
        try {
            JsonArray proxies = new JsonArray(new DebugClient(controller).get("/debug/syncz"));
            if (output == Output.json) {
                out.println(proxies.encodePrettily());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("NAME", "CLUSTER", "NETWORK", "STATE", "CDS", "EDS", "LDS", "RDS", "SDS"));
            List<List<String>> nacks = new ArrayList<>();
            for (Object o : proxies) {
                JsonObject p = (JsonObject) o;
                JsonObject t = p.getJsonObject("types", new JsonObject());
                rows.add(List.of(text(p.getString("proxy")), text(p.getString("cluster")), text(p.getString("network")),
                        text(p.getString("state")), state(t, "cds"), state(t, "eds"), state(t, "lds"), state(t, "rds"), state(t, "sds")));
                List<String> lines = new ArrayList<>();
                for (String type : t.fieldNames()) {
                    String nack = t.getJsonObject(type).getString("nack", "");
                    if (!nack.isEmpty()) {
                        lines.add("    " + type + " NACK: " + nack);
                    }
                }
                nacks.add(lines);
            }
            int[] width = new int[rows.get(0).size()];
            for (List<String> row : rows) {
                for (int i = 0; i < row.size(); i++) {
                    width[i] = Math.max(width[i], row.get(i).length());
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                StringBuilder line = new StringBuilder();
                List<String> row = rows.get(r);
                for (int i = 0; i < row.size(); i++) {
                    line.append(row.get(i));
                    if (i < row.size() - 1) {
                        line.append(" ".repeat(width[i] - row.get(i).length() + 2));
                    }
                }
                out.println(line);
                if (r > 0) {
                    nacks.get(r - 1).forEach(out::println);
                }
            }
            return 0;
        } catch (Exception e) {
            err.println("isthmus proxy-status: " + DebugClient.describe(e));
            return 1;
        }
    }

    private static String text(String s) {
        return s == null ? "-" : s;
    }

    private static String state(JsonObject types, String t) {
        JsonObject s = types.getJsonObject(t);
        return s == null ? "-" : text(s.getString("state"));
    }
}
