package io.isthmus.e2e.local;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a pod's load generator saw: every request with its start time, status (0 = no response)
 * and the cluster that answered.
 *
 * @param sent      requests sent
 * @param ok        answered 200
 * @param failed    not answered 200
 * @param byCluster successful answers per cluster
 * @param samples   every request in order
 */
public record LoadReport(long sent, long ok, long failed, Map<String, Integer> byCluster, List<Sample> samples) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request; {@code peer} = the server certificate's fingerprint on new-connection loads, else empty. */
    public record Sample(long startMillis, int status, String cluster, String zone, String version, long latencyMicros,
                         String error, String peer) {
    }

    public LoadReport {
        byCluster = Map.copyOf(byCluster);
        samples = List.copyOf(samples);
    }

    /** Parses the control port's {@code /load/stats} JSON. */
    public static LoadReport parse(String json) {
        JsonNode n = JSON.readTree(json);
        Map<String, Integer> bc = new LinkedHashMap<>();
        for (String k : n.get("byCluster").propertyNames()) {
            bc.put(k, n.get("byCluster").get(k).asInt());
        }
        List<Sample> samples = new ArrayList<>();
        for (JsonNode s : n.get("samples")) {
            samples.add(new Sample(s.get(0).asLong(), s.get(1).asInt(), s.get(2).asString(), s.get(3).asString(),
                    s.get(4).asString(), s.get(5).asLong(), s.get(6).asString(), s.size() > 7 ? s.get(7).asString() : ""));
        }
        return new LoadReport(n.get("sent").asLong(), n.get("ok").asLong(), n.get("failed").asLong(), bc, samples);
    }

    /** The requests started in {@code [fromMillis, toMillis)}. */
    public List<Sample> between(long fromMillis, long toMillis) {
        return samples.stream().filter(s -> s.startMillis() >= fromMillis && s.startMillis() < toMillis).toList();
    }

    /** The requests started at or after {@code fromMillis}. */
    public List<Sample> since(long fromMillis) {
        return samples.stream().filter(s -> s.startMillis() >= fromMillis).toList();
    }

    /** The failed requests. */
    public List<Sample> failures() {
        return samples.stream().filter(s -> s.status() != 200).toList();
    }

    /** The first successful request started at or after {@code fromMillis} answered by {@code cluster}. */
    public Optional<Sample> firstOkFrom(String cluster, long fromMillis) {
        return samples.stream().filter(s -> s.startMillis() >= fromMillis && s.status() == 200 && cluster.equals(s.cluster()))
                .findFirst();
    }

    /**
     * The start of the run of successes from {@code cluster} that lasts to the end (traffic that
     * moved there and stayed), at or after {@code fromMillis}.
     */
    public Optional<Sample> settledOn(String cluster, long fromMillis) {
        Sample settled = null;
        for (Sample s : since(fromMillis)) {
            if (s.status() == 200 && cluster.equals(s.cluster())) {
                if (settled == null) {
                    settled = s;
                }
            } else {
                settled = null;
            }
        }
        return Optional.ofNullable(settled);
    }
}
