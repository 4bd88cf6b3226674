package io.isthmus.mesh.sni;

import java.util.Objects;

/**
 * The outcome of feeding bytes to a {@link ClientHelloParser}: more bytes needed, a server name, or a
 * refusal with its reason.
 */
public sealed interface HelloResult {

    /** The singleton "feed me more bytes" result. */
    HelloResult NEED_MORE = new NeedMore();

    /** Not enough bytes yet to decide. */
    record NeedMore() implements HelloResult {
    }

    /**
     * A complete, well-formed ClientHello with exactly one host name.
     *
     * @param serverName the host name, lower case, without a trailing dot
     */
    record ServerName(String serverName) implements HelloResult {
        public ServerName {
            Objects.requireNonNull(serverName, "serverName");
        }
    }

    /**
     * The bytes are not acceptable; the connection should be closed.
     *
     * @param reason why
     * @param detail a short human-readable explanation for logs
     */
    record Refused(HelloRefusal reason, String detail) implements HelloResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
