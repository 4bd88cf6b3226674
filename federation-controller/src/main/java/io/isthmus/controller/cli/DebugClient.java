package io.isthmus.controller.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Reads a controller's debug endpoints over HTTP for the CLI. */
final class DebugClient {
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DebugClient(String base) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    /**
     * GETs a path; throws with the controller's message on a non-200 answer, and with the URL tried,
     * the reason and a hint at {@code --controller} when the controller cannot be reached.
     */
    String get(String path) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid controller URL " + base + ": " + e.getMessage() + "; pass --controller http://HOST:15014");
        }
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IOException("invalid controller URL " + base + "; pass --controller http://HOST:15014");
        }
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IOException("cannot reach the controller at " + base + " (" + reason(e)
                    + "); is it running? Give its monitoring address with --controller URL (e.g. --controller http://10.1.0.1:15014)", e);
        }
        if (r.statusCode() != 200) {
            throw new IOException(base + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /** A short human reason for a failed connection: "connection refused", "unknown host", "timed out"... */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof java.net.UnknownHostException) {
                return "unknown host";
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "no answer in time";
            }
            if (t instanceof ConnectException) {
                String m = t.getMessage();
                return m == null || m.isBlank() ? "connection refused" : m.toLowerCase(java.util.Locale.ROOT);
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName();
    }

    /** An exception's message for the terminal, never "null": its message, else a reason from its causes. */
    static String describe(Exception e) {
        return e.getMessage() == null || e.getMessage().isBlank() ? reason(e) : e.getMessage();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
