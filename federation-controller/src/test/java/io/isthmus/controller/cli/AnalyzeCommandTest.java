package io.isthmus.controller.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AnalyzeCommandTest {

    static String[] run(Path... files) {
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(new AnalyzeCommand());
        cl.setOut(new PrintWriter(out));
        String[] args = java.util.Arrays.stream(files).map(Path::toString).toArray(String[]::new);
        int code = cl.execute(args);
        return new String[] {Integer.toString(code), out.toString()};
    }

    @Test
    void acceptsValidConfigAndWarnsOnUnresolvedSubset(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ok.yaml");
        Files.writeString(f, """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: reviews, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - route:
                    - {destination: {host: reviews, subset: v1}, weight: 90}
                    - {destination: {host: reviews, subset: v3}, weight: 10}
                ---
                apiVersion: networking.istio.io/v1
                kind: DestinationRule
                metadata: {name: reviews, namespace: default}
                spec:
                  host: reviews
                  subsets: [{name: v1, labels: {version: v1}}]
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: unrelated}
                """);
        String[] r = run(f);
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1]).contains("subset v3 of reviews.default.svc.cluster.local is defined by no DestinationRule")
                .contains("2 accepted, 0 rejected, 1 warnings, 1 other resources ignored");
    }

    @Test
    void rejectsNamingResourceFieldAndReason(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny, namespace: default}
                spec:
                  action: DENY
                  rules:
                  - to:
                    - operation: {methods: [FETCH]}
                """);
        String[] r = run(f);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).contains("AuthorizationPolicy default/deny: spec.rules[0].to[0].operation.methods[0]: not an HTTP method: FETCH");
        Path garbage = dir.resolve("garbage.yaml");
        Files.writeString(garbage, "kind: [unclosed\n");
        assertThat(run(garbage)[0]).isEqualTo("2");
    }

    @Test
    void aMissingFileIsNamedAsSuch(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        String[] r = run(missing);
        assertThat(r[0]).isEqualTo("2");
        assertThat(r[1].strip()).isEqualTo("Error: no such file: " + missing);
    }
}
