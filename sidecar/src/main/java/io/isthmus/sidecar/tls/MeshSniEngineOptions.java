package io.isthmus.sidecar.tls;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.DelegatingSslContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Vert.x TLS engine options that send mesh server names: Netty and the JDK silently drop a peer host
 * that is not a strict DNS name, and mesh SNIs ({@code outbound_.9080_._.reviews...}) contain '_'.
 * Client engines get such a host set as SNI explicitly.
 */
public final class MeshSniEngineOptions {

    private MeshSniEngineOptions() {
    }

    /** The same engine options, sending any peer host as SNI. */
    public static SSLEngineOptions wrap(SSLEngineOptions engine) {
        if (engine instanceof OpenSSLEngineOptions o) {
            return new OpenSsl(o);
        }
        return new Jdk((JdkSSLEngineOptions) engine);
    }

    private static final class OpenSsl extends OpenSSLEngineOptions {
        OpenSsl(OpenSSLEngineOptions o) {
            super(o);
        }

        @Override
        public OpenSSLEngineOptions copy() {
            return new OpenSsl(this);
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new Factory(super.sslContextFactory());
        }
    }

    private static final class Jdk extends JdkSSLEngineOptions {
        Jdk(JdkSSLEngineOptions o) {
            super(o);
        }

        @Override
        public JdkSSLEngineOptions copy() {
            return new Jdk(this);
        }

        @Override
        public SslContextFactory sslContextFactory() {
            return new Factory(super.sslContextFactory());
        }
    }

    private static final class Factory implements SslContextFactory {
        private final SslContextFactory d;

        Factory(SslContextFactory d) {
            this.d = d;
        }

        @Override
        public SslContextFactory useAlpn(boolean v) {
            d.useAlpn(v);
            return this;
        }

        @Override
        public SslContextFactory clientAuth(ClientAuth v) {
            d.clientAuth(v);
            return this;
        }

        @Override
        public SslContextFactory forClient(boolean v) {
            d.forClient(v);
            return this;
        }

        @Override
        public SslContextFactory keyMananagerFactory(KeyManagerFactory v) {
            d.keyMananagerFactory(v);
            return this;
        }

        @Override
        public SslContextFactory trustManagerFactory(TrustManagerFactory v) {
            d.trustManagerFactory(v);
            return this;
        }

        @Override
        public SslContextFactory enabledCipherSuites(Set<String> v) {
            d.enabledCipherSuites(v);
            return this;
        }

        @Override
        public SslContextFactory applicationProtocols(List<String> v) {
            d.applicationProtocols(v);
            return this;
        }

        @Override
        public SslContextFactory serverName(String v) {
            d.serverName(v);
            return this;
        }

        @Override
        public io.netty.handler.ssl.SslContext create() throws SSLException {
            io.netty.handler.ssl.SslContext ctx = d.create();
            if (!ctx.isClient()) {
                return ctx;
            }
            return new DelegatingSslContext(ctx) {
                @Override
                protected void initEngine(SSLEngine engine) {
                    sendServerName(engine);
                }
            };
        }
    }

    /** Sets the engine's peer host as SNI when the engine refused to because of '_' or the like. */
    static void sendServerName(SSLEngine engine) {
        String host = engine.getPeerHost();
        if (host == null || host.indexOf('.') <= 0 || host.endsWith(".") || io.netty.util.NetUtil.isValidIpV4Address(host)
                || io.netty.util.NetUtil.isValidIpV6Address(host) || strictDnsName(host)) {
            return;
        }
        if (engine instanceof ReferenceCountedOpenSslEngine openSsl) {
            SSL.setTlsExtHostName(openSsl.sslPointer(), host);
        } else {
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(new SNIServerName(0, host.getBytes(StandardCharsets.US_ASCII)) { }));
            engine.setSSLParameters(p);
        }
    }

    private static boolean strictDnsName(String host) {
        try {
            new SNIHostName(host);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
