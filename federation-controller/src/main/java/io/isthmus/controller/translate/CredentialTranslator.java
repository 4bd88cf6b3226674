package io.isthmus.controller.translate;

import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.isthmus.controller.config.CredentialSecret;
import io.isthmus.controller.config.MeshConfig;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SDS of gateway credentials: the Kubernetes Secrets of a router proxy's own namespace and cluster
 * as {@code kubernetes://<name>} (certificate and key) and {@code kubernetes://<name>-cacert} (the
 * CA of {@code ca.crt}/{@code cacert}, or of a separate Secret {@code <name>-cacert}). Only a proxy
 * whose ADS client certificate names that namespace gets them; any other gets none (logged once).
 */
public final class CredentialTranslator {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialTranslator.class);
    /** Prefix of SDS names of Kubernetes Secrets. */
    public static final String PREFIX = "kubernetes://";

    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    /**
     * The credential secrets of a router proxy.
     *
     * @param view the proxy (its namespace, cluster and proven identity)
     * @param cfg the mesh config holding the Secrets
     * @return by SDS name; empty for sidecars, for proxies not proven to be of their namespace, and
     *     when the namespace holds no credentials
     */
    public TreeMap<String, Secret> forProxy(ProxyView view, MeshConfig cfg) {
        TreeMap<String, Secret> out = new TreeMap<>();
        if (view.type() != ProxyView.ProxyType.ROUTER || view.namespace().isEmpty()) {
            return out;
        }
        // a Secret read from the proxy's cluster wins over one without a cluster (file config)
        List<CredentialSecret> mine = cfg.all(CredentialSecret.class).stream()
                .filter(s -> s.ref().namespace().equals(view.namespace()) && s.appliesTo(view.clusterId()))
                .sorted(Comparator.comparing((CredentialSecret s) -> s.cluster().isEmpty()))
                .toList();
        if (mine.isEmpty()) {
            return out;
        }
        if (!view.namespace().equals(view.peerNamespace())) {
            String key = view.nodeId() + "|" + view.peerIdentity();
            if (warned.size() > 10_000) {
                warned.clear();
            }
            if (warned.add(key)) {
                LOG.warn("credentials withheld {} [namespace={} peer={}]: the ADS client certificate does not prove the"
                        + " namespace; Secrets not sent: {}", view.label(), view.namespace(),
                        view.peerIdentity().isEmpty() ? "none" : view.peerIdentity(),
                        mine.stream().map(s -> s.ref().name()).distinct().toList());
            }
            return out;
        }
        for (CredentialSecret s : mine) {
            if (s.hasCertificate()) {
                out.putIfAbsent(PREFIX + s.ref().name(), certificate(PREFIX + s.ref().name(), s));
            }
            if (!s.caCertificates().isEmpty() && s.hasCertificate()) {
                out.putIfAbsent(PREFIX + s.ref().name() + "-cacert", validation(PREFIX + s.ref().name() + "-cacert", s));
            }
        }
        for (CredentialSecret s : mine) {
            if (!s.hasCertificate()) {
                // a CA-only Secret: itself (normally named <credential>-cacert) and its -cacert form
                out.putIfAbsent(PREFIX + s.ref().name(), validation(PREFIX + s.ref().name(), s));
                out.putIfAbsent(PREFIX + s.ref().name() + "-cacert", validation(PREFIX + s.ref().name() + "-cacert", s));
            }
        }
        return out;
    }

    private static Secret certificate(String name, CredentialSecret s) {
        return Secret.newBuilder()
                .setName(name)
                .setTlsCertificate(TlsCertificate.newBuilder()
                        .setCertificateChain(inline(s.certificateChain()))
                        .setPrivateKey(inline(s.privateKey())))
                .build();
    }

    private static Secret validation(String name, CredentialSecret s) {
        return Secret.newBuilder()
                .setName(name)
                .setValidationContext(CertificateValidationContext.newBuilder().setTrustedCa(inline(s.caCertificates())))
                .build();
    }

    private static DataSource inline(String pem) {
        return DataSource.newBuilder().setInlineBytes(com.google.protobuf.ByteString.copyFrom(pem, StandardCharsets.UTF_8)).build();
    }
}
