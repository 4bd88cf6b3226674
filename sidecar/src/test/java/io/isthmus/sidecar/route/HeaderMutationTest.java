package io.isthmus.sidecar.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.sidecar.route.HeaderMutation.AppendAction;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How one level's mutation changes a header map (Envoy's evaluation order), and what the operators render. */
class HeaderMutationTest {

    /** A request from 10.0.0.9:4321 to 10.0.0.1:9080, answered by 10.0.0.5:8080, begun at 2024-05-01T10:00:00.123Z. */
    static final HeaderContext CONTEXT = new HeaderContext() {
        @Override
        public String clientAddress() {
            return "10.0.0.9";
        }

        @Override
        public SocketAddress downstreamPeer() {
            return SocketAddress.inetSocketAddress(4321, "10.0.0.9");
        }

        @Override
        public SocketAddress downstreamLocal() {
            return SocketAddress.inetSocketAddress(9080, "10.0.0.1");
        }

        @Override
        public String upstreamAddress() {
            return "10.0.0.5:8080";
        }

        @Override
        public String protocol() {
            return "HTTP/2";
        }

        @Override
        public long startMillis() {
            return 1_714_557_600_123L;
        }
    };

    private static HeaderMutation.Add add(String name, String value, AppendAction action) {
        return new HeaderMutation.Add(name, HeaderFormat.parse(value), action, false);
    }

    private static MultiMap headers(String... pairs) {
        MultiMap h = HttpHeaders.headers();
        for (int i = 0; i < pairs.length; i += 2) {
            h.add(pairs[i], pairs[i + 1]);
        }
        return h;
    }

    @Test
    void eachAppendActionDoesWhatEnvoysDoes() {
        MultiMap h = headers("x-append", "old", "x-absent", "old", "x-over", "old", "x-if", "old");
        new HeaderMutation(List.of(), List.of(
                add("x-append", "new", AppendAction.APPEND_IF_EXISTS_OR_ADD),
                add("x-absent", "new", AppendAction.ADD_IF_ABSENT),
                add("x-absent-missing", "new", AppendAction.ADD_IF_ABSENT),
                add("x-over", "new", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
                add("x-over-missing", "new", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
                add("x-if", "new", AppendAction.OVERWRITE_IF_EXISTS),
                add("x-if-missing", "new", AppendAction.OVERWRITE_IF_EXISTS))).apply(h, CONTEXT);

        assertThat(h.getAll("x-append")).containsExactly("old", "new");
        assertThat(h.getAll("x-absent")).containsExactly("old");
        assertThat(h.getAll("x-absent-missing")).containsExactly("new");
        assertThat(h.getAll("x-over")).containsExactly("new");
        assertThat(h.getAll("x-over-missing")).containsExactly("new");
        assertThat(h.getAll("x-if")).containsExactly("new");
        assertThat(h.contains("x-if-missing")).isFalse();
    }

    @Test
    void removalsComeFirstAndAdditionsAreJudgedAgainstTheHeadersTheyLeft() {
        MultiMap h = headers("x-gone", "client", "x-a", "client");
        new HeaderMutation(List.of("x-gone", "x-a"), List.of(
                add("x-a", "1", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
                add("x-a", "2", AppendAction.OVERWRITE_IF_EXISTS),
                add("x-a", "3", AppendAction.ADD_IF_ABSENT),
                add("x-gone", "back", AppendAction.OVERWRITE_IF_EXISTS))).apply(h, CONTEXT);

        assertThat(h.getAll("x-a")).as("x-a was absent once removed: the conditional overwrite is skipped, "
                + "the add-if-absent added after the overwrite").containsExactly("1", "3");
        assertThat(h.contains("x-gone")).isFalse();
    }

    @Test
    void anEmptyValueIsSkippedUnlessKept() {
        MultiMap h = headers("x-over", "old");
        new HeaderMutation(List.of(), List.of(
                add("x-over", "", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD),
                add("x-empty", "", AppendAction.APPEND_IF_EXISTS_OR_ADD),
                new HeaderMutation.Add("x-kept", HeaderFormat.parse(""), AppendAction.APPEND_IF_EXISTS_OR_ADD, true),
                add("x-upstream", "%UPSTREAM_REMOTE_ADDRESS%", AppendAction.APPEND_IF_EXISTS_OR_ADD))).apply(h, new Unanswered());

        assertThat(h.getAll("x-over")).as("an empty value does not overwrite").containsExactly("old");
        assertThat(h.contains("x-empty")).isFalse();
        assertThat(h.getAll("x-kept")).containsExactly("");
        assertThat(h.contains("x-upstream")).as("no upstream yet: the operator renders empty").isFalse();
    }

    @Test
    void moreThan64AdditionsStillJudgePresenceBeforeAdding() {
        List<HeaderMutation.Add> adds = new java.util.ArrayList<>();
        for (int i = 0; i < 70; i++) {
            adds.add(add("x-" + i, "v", AppendAction.APPEND_IF_EXISTS_OR_ADD));
        }
        adds.add(add("x-late", "first", AppendAction.OVERWRITE_IF_EXISTS_OR_ADD));
        adds.add(add("x-late", "second", AppendAction.OVERWRITE_IF_EXISTS));
        MultiMap h = headers();
        new HeaderMutation(List.of(), adds).apply(h, CONTEXT);

        assertThat(h.getAll("x-late")).containsExactly("first");
        assertThat(h.getAll("x-69")).containsExactly("v");
    }

    @Test
    void operatorsRenderWhatEnvoysRender() {
        assertThat(HeaderFormat.parse("%DOWNSTREAM_REMOTE_ADDRESS%|%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%|"
                + "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%|%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%").render(CONTEXT))
                .isEqualTo("10.0.0.9:4321|10.0.0.9|10.0.0.9:4321|10.0.0.9");
        assertThat(HeaderFormat.parse("%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% "
                + "%DOWNSTREAM_LOCAL_PORT%").render(CONTEXT)).isEqualTo("10.0.0.1:9080 10.0.0.1 9080");
        assertThat(HeaderFormat.parse("%UPSTREAM_REMOTE_ADDRESS% %PROTOCOL% %START_TIME%").render(CONTEXT))
                .isEqualTo("10.0.0.5:8080 HTTP/2 2024-05-01T10:00:00.123Z");
        HeaderFormat percent = HeaderFormat.parse("100%% sure");
        assertThat(percent.isConstant()).isTrue();
        assertThat(percent.render(null)).isEqualTo("100% sure");
        HeaderFormat host = HeaderFormat.parse("on %HOSTNAME%");
        assertThat(host.isConstant()).as("the host name is read once, when parsed").isTrue();
        assertThat(host.render(null)).startsWith("on ").hasSizeGreaterThan(3);
    }

    @Test
    void aClientBehindTrustedForwardedForHasNoPort() {
        HeaderContext forwarded = new Unanswered() {
            @Override
            public String clientAddress() {
                return "203.0.113.7";
            }
        };
        assertThat(HeaderFormat.parse("%DOWNSTREAM_REMOTE_ADDRESS%/%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%").render(forwarded))
                .isEqualTo("203.0.113.7/[::1]:5000");
    }

    @Test
    void textBeyondAsciiIsSentAsItsUtf8Bytes() {
        String rendered = HeaderFormat.parse("café").render(null);

        assertThat(rendered.getBytes(StandardCharsets.ISO_8859_1)).isEqualTo("café".getBytes(StandardCharsets.UTF_8));
    }

    /** A request from [::1]:5000 not yet sent upstream. */
    private static class Unanswered implements HeaderContext {
        @Override
        public String clientAddress() {
            return "::1";
        }

        @Override
        public SocketAddress downstreamPeer() {
            return SocketAddress.inetSocketAddress(5000, "::1");
        }

        @Override
        public SocketAddress downstreamLocal() {
            return null;
        }

        @Override
        public String upstreamAddress() {
            return "";
        }

        @Override
        public String protocol() {
            return "HTTP/1.1";
        }

        @Override
        public long startMillis() {
            return 0;
        }
    }
}
