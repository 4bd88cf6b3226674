package io.isthmus.sidecar.xds;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the xDS client is doing, for {@code /config_dump}: stream state, the versions ACKed and the
 * names subscribed per type.
 *
 * @param server        the control plane's authority
 * @param connected     whether a stream is up and has delivered a response
 * @param lastChange    when the stream last opened or broke
 * @param lastError     why it last broke ("" if never)
 * @param ackedVersions the version last ACKed, by type short name (CDS, EDS, ...)
 * @param subscribed    the resource names subscribed, by type short name (empty = wildcard for CDS and LDS)
 */
public record XdsStatus(String server, boolean connected, Instant lastChange, String lastError,
                        Map<String, String> ackedVersions, Map<String, Set<String>> subscribed) {

    public XdsStatus {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(lastChange, "lastChange");
        Objects.requireNonNull(lastError, "lastError");
        ackedVersions = Map.copyOf(ackedVersions);
        subscribed = Map.copyOf(subscribed);
    }
}
