package io.isthmus.sidecar.cert;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.Secret;
import io.isthmus.sidecar.xds.XdsResourceException;
import io.isthmus.trust.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateStoreTest {
    @TempDir
    Path dir;

    static Secret rootCa(String pem) {
        return Secret.newBuilder().setName("ROOTCA").setValidationContext(CertificateValidationContext.newBuilder()
                .setTrustedCa(DataSource.newBuilder().setInlineBytes(ByteString.copyFromUtf8(pem)))).build();
    }

    @Test
    void sdsRootCaReplacesTheFileBundleAndNotifies() {
        TestPki a = TestPki.create(dir.resolve("a"));
        TestPki b = TestPki.create(dir.resolve("b"));
        CertificateStore store = new CertificateStore(TrustAnchors.fromPem(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(a.rootCertificate())), "file:x"));
        List<TrustAnchors> seen = new CopyOnWriteArrayList<>();
        store.onTrustAnchors(seen::add);

        String both = io.isthmus.trust.pem.Pem.encodeCertificates(List.<X509Certificate>of(a.rootCertificate(), b.rootCertificate()));
        store.rootCaHandler().apply(Map.of("ROOTCA", rootCa(both)), "7");

        assertThat(store.trustAnchors().roots()).containsExactly(a.rootCertificate(), b.rootCertificate());
        assertThat(store.trustAnchors().source()).isEqualTo("sds:7");
        assertThat(seen).hasSize(1);
        store.rootCaHandler().apply(Map.of(), "8");
        assertThat(store.trustAnchors().roots()).hasSize(2);
    }

    @Test
    void badRootCaIsRejectedNamingTheFieldAndKeepsTheBundle() {
        TestPki a = TestPki.create(dir.resolve("a"));
        CertificateStore store = new CertificateStore(TrustAnchors.fromPem(io.isthmus.trust.pem.Pem.encodeCertificates(List.of(a.rootCertificate())), "file:x"));
        assertThatThrownBy(() -> store.rootCaHandler().apply(Map.of("ROOTCA", rootCa("not pem")), "2"))
                .isInstanceOf(XdsResourceException.class)
                .hasMessageContaining("ROOTCA").hasMessageContaining("validation_context.trusted_ca");
        assertThatThrownBy(() -> store.rootCaHandler().apply(Map.of("default", rootCa("x")), "2"))
                .isInstanceOf(XdsResourceException.class).hasMessageContaining("default");
        assertThat(store.trustAnchors().source()).isEqualTo("file:x");
    }
}
