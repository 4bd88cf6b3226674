package io.isthmus.sidecar.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A trust manager for the CAs of one SDS validation-context secret ({@code kubernetes://<name>-cacert}):
 * peers are verified by PKIX against the CAs in force at the handshake, which {@link #set} replaces.
 * Before the secret arrives every peer is refused. Thread-safe.
 */
public final class NamedTrustManager extends X509ExtendedTrustManager {

    private final String name;
    private final AtomicReference<X509TrustManager> delegate = new AtomicReference<>();
    private volatile X509Certificate[] issuers = new X509Certificate[0];

    NamedTrustManager(String name) {
        this.name = name;
    }

    /** Replaces the trusted CAs for handshakes from now on. */
    void set(List<X509Certificate> cas) {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < cas.size(); i++) {
                ks.setCertificateEntry("ca-" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    delegate.set(x);
                    issuers = cas.toArray(X509Certificate[]::new);
                    return;
                }
            }
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust store for secret " + name + ": " + e.getMessage(), e);
        }
    }

    private X509TrustManager current() throws CertificateException {
        X509TrustManager d = delegate.get();
        if (d == null) {
            throw new CertificateException("no CA certificates yet for secret " + name);
        }
        return d;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current().checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return issuers.clone();
    }
}
