package io.isthmus.e2e.support;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads Istio's metrics from a proxy's Prometheus text ({@code :15090/stats/prometheus}). */
public final class Metrics {
    private static final Pattern SERIES = Pattern.compile("^(istio_\\w+)\\{([^}]*)\\}\\s+([0-9.eE+]+)", Pattern.MULTILINE);

    private Metrics() {
    }

    /** The sum of the series of {@code metric} whose labels contain every one of {@code labels}. */
    public static double sum(String metrics, String metric, String... labels) {
        double total = 0;
        Matcher m = SERIES.matcher(metrics);
        while (m.find()) {
            if (!m.group(1).equals(metric)) {
                continue;
            }
            boolean all = true;
            for (String l : labels) {
                all &= m.group(2).contains(l);
            }
            if (all) {
                total += Double.parseDouble(m.group(3));
            }
        }
        return total;
    }
}
