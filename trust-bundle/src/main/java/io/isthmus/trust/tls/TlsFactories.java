package io.isthmus.trust.tls;

import java.security.KeyStore;
import java.security.Provider;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;

/**
 * Wraps a single key manager or trust manager in a JSSE factory, for APIs that take factories (Netty's
 * {@code SslContextBuilder}, Vert.x {@code KeyCertOptions.wrap}/{@code TrustOptions.wrap}).
 */
public final class TlsFactories {
    private static final Provider PROVIDER = new Provider("Isthmus", "1.0", "Isthmus fixed key/trust managers") {
        private static final long serialVersionUID = 1L;
    };

    private TlsFactories() {
    }

    /** A key manager factory that always returns {@code km}. */
    public static KeyManagerFactory keyManagerFactory(KeyManager km) {
        return new KeyManagerFactory(new KeyManagerFactorySpi() {
            @Override
            protected void engineInit(KeyStore ks, char[] password) {
            }

            @Override
            protected void engineInit(ManagerFactoryParameters spec) {
            }

            @Override
            protected KeyManager[] engineGetKeyManagers() {
                return new KeyManager[] {km};
            }
        }, PROVIDER, "Isthmus") {
        };
    }

    /** A trust manager factory that always returns {@code tm}. */
    public static TrustManagerFactory trustManagerFactory(TrustManager tm) {
        return new TrustManagerFactory(new TrustManagerFactorySpi() {
            @Override
            protected void engineInit(KeyStore ks) {
            }

            @Override
            protected void engineInit(ManagerFactoryParameters spec) {
            }

            @Override
            protected TrustManager[] engineGetTrustManagers() {
                return new TrustManager[] {tm};
            }
        }, PROVIDER, "Isthmus") {
        };
    }
}
