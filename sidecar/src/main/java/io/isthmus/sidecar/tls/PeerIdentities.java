package io.isthmus.sidecar.tls;

import io.vertx.core.http.HttpConnection;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

/**
 * The verified peer identity of HTTP connections, computed once per connection (reading the peer
 * chain from the TLS session, parsing its SANs and hashing the leaf costs more than proxying a small
 * request) and forgotten with the connection. Thread-safe.
 */
public final class PeerIdentities {

    /** No peer certificate (plaintext, or TLS without a client certificate). */
    public static final Peer NONE = new Peer("", "", "");

    private static final Map<HttpConnection, Peer> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private PeerIdentities() {
    }

    /**
     * A peer.
     *
     * @param spiffeId the leaf's SPIFFE ID, empty when none
     * @param leafSha256 hex SHA-256 of the leaf's DER encoding, empty when none
     * @param principal the peer as RBAC's {@code principal_name} and the access log name it, as Envoy
     *     does: the first URI SAN, else the first DNS SAN, else the subject; empty when none (a gateway's
     *     MUTUAL clients carry certificates of any CA, often without a SPIFFE ID)
     */
    public record Peer(String spiffeId, String leafSha256, String principal) {
        public Peer {
            Objects.requireNonNull(spiffeId, "spiffeId");
            Objects.requireNonNull(leafSha256, "leafSha256");
            Objects.requireNonNull(principal, "principal");
        }
    }

    /** The peer of a connection. */
    public static Peer of(HttpConnection connection) {
        if (connection == null || !connection.isSsl()) {
            return NONE;
        }
        Peer cached = CACHE.get(connection);
        if (cached != null) {
            return cached;
        }
        Peer peer = compute(connection);
        CACHE.put(connection, peer);
        return peer;
    }

    private static Peer compute(HttpConnection connection) {
        try {
            List<Certificate> certs = connection.peerCertificates();
            if (certs == null || certs.isEmpty() || !(certs.get(0) instanceof X509Certificate leaf)) {
                return NONE;
            }
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
            String spiffe = SpiffeIdentity.uriSan(leaf).orElse("");
            return new Peer(spiffe, hash, spiffe.isEmpty() ? principal(leaf) : spiffe);
        } catch (javax.net.ssl.SSLPeerUnverifiedException | NoSuchAlgorithmException | CertificateEncodingException e) {
            return NONE;
        }
    }

    private static String principal(X509Certificate leaf) {
        try {
            var sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (int type : new int[] {6, 2}) {
                    for (List<?> san : sans) {
                        if (san.size() >= 2 && Integer.valueOf(type).equals(san.get(0)) && san.get(1) instanceof String v) {
                            return v;
                        }
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // fall back to the subject
        }
        return leaf.getSubjectX500Principal().getName();
    }
}
