package io.isthmus.e2e.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Steady load from inside a pod: one request every {@code interval} (sequential, so a slow call
 * delays the next), each recorded with its start time, status and the cluster that answered.
 * Nothing is retried here: failures are what the mesh let through.
 */
public final class LoadGenerator implements AutoCloseable {
    /**
     * One request: start in epoch millis, status (0 = no response), cluster and zone that answered,
     * error text, and the server certificate's fingerprint when the call saw one.
     */
    public record Sample(long startMillis, int status, String cluster, String zone, String version, long latencyMicros,
                         String error, String peer) {
    }

    /** How one request is made: the app's keep-alive client or a new connection per request. */
    @FunctionalInterface
    public interface Fetch {
        /** GETs {@code url}. */
        Caller.Result get(String url, Duration timeout);
    }

    private final String url;
    private final Duration interval;
    private final Fetch caller;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts the load in its own thread. */
    public LoadGenerator(String name, String url, Duration interval, Fetch caller) {
        this.url = url;
        this.interval = interval;
        this.caller = caller;
        this.thread = new Thread(this::loop, "load-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long next = System.nanoTime();
        while (running) {
            long start = System.currentTimeMillis();
            Caller.Result r = caller.get(url, Duration.ofSeconds(5));
            String cluster = r.status() > 0 ? Json.field(r.body(), "cluster") : null;
            String zone = r.status() > 0 ? Json.field(r.body(), "zone") : null;
            String version = r.status() > 0 ? Json.field(r.body(), "version") : null;
            synchronized (samples) {
                samples.add(new Sample(start, r.status(), cluster == null ? "" : cluster, zone == null ? "" : zone,
                        version == null ? "" : version, r.latencyMicros(), r.error(), r.peer()));
            }
            next += interval.toNanos();
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            } else {
                next = System.nanoTime();
            }
        }
    }

    /** The counts and every sample so far as JSON. */
    public String statsJson() {
        List<Sample> copy;
        synchronized (samples) {
            copy = new ArrayList<>(samples);
        }
        long ok = copy.stream().filter(s -> s.status() == 200).count();
        Map<String, Integer> byCluster = new TreeMap<>();
        StringBuilder arr = new StringBuilder("[");
        for (Sample s : copy) {
            if (s.status() == 200) {
                byCluster.merge(s.cluster(), 1, Integer::sum);
            }
            if (arr.length() > 1) {
                arr.append(',');
            }
            arr.append('[').append(s.startMillis()).append(',').append(s.status()).append(',')
                    .append(Json.str(s.cluster())).append(',').append(Json.str(s.zone())).append(',')
                    .append(Json.str(s.version())).append(',')
                    .append(s.latencyMicros()).append(',')
                    .append(Json.str(s.error().length() > 200 ? s.error().substring(0, 200) : s.error())).append(',')
                    .append(Json.str(s.peer())).append(']');
        }
        arr.append(']');
        StringBuilder bc = new StringBuilder("{");
        byCluster.forEach((k, v) -> bc.append(bc.length() > 1 ? "," : "").append(Json.str(k)).append(':').append(v));
        bc.append('}');
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", url);
        m.put("sent", copy.size());
        m.put("ok", ok);
        m.put("failed", copy.size() - ok);
        m.put("byCluster", new Json.Raw(bc.toString()));
        m.put("samples", new Json.Raw(arr.toString()));
        return Json.object(m);
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(7000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }
}
