package io.isthmus.sidecar.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager that verifies peers against the trust bundle in force at the time of each
 * handshake and against the expected SPIFFE identities of one cluster (or of the inbound side).
 * Host name verification does not apply: mesh peers are identified by SPIFFE ID, not DNS name.
 */
final class MeshTrustManager extends X509ExtendedTrustManager {

    private final TlsMaterialSource source;
    private final SanMatchers expected;

    MeshTrustManager(TlsMaterialSource source, SanMatchers expected) {
        this.source = source;
        this.expected = expected;
    }

    private void check(X509Certificate[] chain) throws CertificateException {
        TlsMaterial material = source.current()
                .orElseThrow(() -> new CertificateException("no trust bundle yet"));
        PeerVerifier.verify(chain, material, expected);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return source.current().map(m -> m.trustRoots().toArray(new X509Certificate[0]))
                .orElse(new X509Certificate[0]);
    }
}
