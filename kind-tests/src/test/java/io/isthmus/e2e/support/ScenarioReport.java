package io.isthmus.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one scenario measured: requests sent, requests failed, and named values (times in ms,
 * ratios). Each report is written to {@code target/e2e-reports/<scenario>.txt}; the suite prints
 * all of them as one table at the end.
 */
public final class ScenarioReport {
    private static final List<ScenarioReport> ALL = new ArrayList<>();

    private final String scenario;
    private long requests;
    private long failures;
    private String outcome = "ran";
    private final Map<String, String> values = new LinkedHashMap<>();

    private ScenarioReport(String scenario) {
        this.scenario = scenario;
    }

    /** A new report, registered for the summary table. */
    public static synchronized ScenarioReport of(String scenario) {
        ScenarioReport r = new ScenarioReport(scenario);
        ALL.add(r);
        return r;
    }

    /** Adds to the counts. */
    public synchronized ScenarioReport count(long sent, long failed) {
        requests += sent;
        failures += failed;
        return this;
    }

    /** Records a named value. */
    public synchronized ScenarioReport value(String name, Object v) {
        values.put(name, String.valueOf(v));
        return this;
    }

    /** Records how the scenario ended ({@code passed}, {@code failed: ...}, {@code skipped: ...}). */
    public synchronized ScenarioReport outcome(String o) {
        outcome = o;
        return this;
    }

    /** Writes this report under {@code dir}. */
    public synchronized void write(Path dir) {
        StringBuilder b = new StringBuilder();
        b.append("scenario=").append(scenario).append('\n').append("outcome=").append(outcome).append('\n')
                .append("requests=").append(requests).append('\n').append("failures=").append(failures).append('\n');
        values.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(scenario + ".txt"), b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report of " + scenario, e);
        }
    }

    /** The summary table of every report so far. */
    public static synchronized String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%n%-22s %-10s %9s %9s  %s%n", "scenario", "outcome", "requests", "failures", "measured"));
        for (ScenarioReport r : ALL) {
            String o = r.outcome.startsWith("skipped") ? "skipped" : r.outcome.length() > 10 ? r.outcome.substring(0, 10) : r.outcome;
            b.append(String.format("%-22s %-10s %9d %9d  %s%n", r.scenario, o, r.requests, r.failures, r.values));
        }
        b.append("(failures = answers other than 200, including the refusals a scenario waits for: leave, deny, plaintext)\n");
        return b.toString();
    }

    /** Whether any report exists. */
    public static synchronized boolean any() {
        return !ALL.isEmpty();
    }
}
