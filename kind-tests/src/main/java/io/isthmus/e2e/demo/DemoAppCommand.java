package io.isthmus.e2e.demo;

import io.isthmus.trust.pem.Pem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import javax.net.ssl.KeyManagerFactory;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.net.InetSocketAddress;
import java.security.Security;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code isthmus demo-app}: one pod's app (and, given proxy arguments after {@code --}, its
 * sidecar in the same JVM, reached over real loopback sockets). The app listens on
 * {@code 127.0.0.1:<port>} for each {@code --port}, serving HTTP and gRPC ({@code isthmus.demo.v1.Demo},
 * h2c) on each, the control server on {@code <control-address>:15080}.
 */
@Command(name = "demo-app", mixinStandardHelpOptions = true,
        description = "Runs the demo app of one pod (and optionally its sidecar in the same JVM).")
public final class DemoAppCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoAppCommand.class);

    @Option(names = "--service", required = true, description = "Service this pod serves.")
    String service;
    @Option(names = "--namespace", defaultValue = "default", description = "Namespace (default: ${DEFAULT-VALUE}).")
    String namespace;
    @Option(names = "--cluster", required = true, description = "Cluster name it reports.")
    String cluster;
    @Option(names = "--zone", defaultValue = "", description = "Zone it reports.")
    String zone;
    @Option(names = "--pod", required = true, description = "Pod name it reports.")
    String pod;
    @Option(names = "--version", defaultValue = "v1", description = "Version label it reports (default: ${DEFAULT-VALUE}).")
    String version;
    @Option(names = "--port", split = ",", description = "Port(s) the app listens on, each serving HTTP and gRPC (h2c).")
    List<Integer> ports = new ArrayList<>();
    @Option(names = "--app-address", defaultValue = "127.0.0.1",
            description = "Address of the app port(s) (default: ${DEFAULT-VALUE}, behind the sidecar).")
    String appAddress;
    @Option(names = "--tls-cert", description = "Serve the app port(s) over TLS with this certificate chain (PEM).")
    Path tlsCert;
    @Option(names = "--tls-key", description = "The private key (PEM) of --tls-cert.")
    Path tlsKey;
    @Option(names = "--trust-pem", description = "CA certificates (PEM) the control port's new-connection calls verify HTTPS servers against.")
    Path trustPem;
    @Option(names = "--client-cert", description = "Client certificate chain (PEM) new-connection calls present when asked (clientCert=1).")
    Path clientCert;
    @Option(names = "--client-key", description = "The private key (PEM) of --client-cert.")
    Path clientKey;
    @Option(names = "--control-address", defaultValue = "0.0.0.0", description = "Address of the control port (default: ${DEFAULT-VALUE}).")
    String controlAddress;
    @Option(names = "--control-port", defaultValue = "15080", description = "Control port (default: ${DEFAULT-VALUE}).")
    int controlPort;
    @Option(names = "--proxy-class", defaultValue = "io.isthmus.sidecar.cli.ProxyCommand",
            description = "Picocli command run in-process with the arguments after -- (default: ${DEFAULT-VALUE}).")
    String proxyClass;
    @Parameters(description = "Arguments of the in-process sidecar (after --); none = no sidecar.")
    List<String> proxyArgs = new ArrayList<>();

    /** Runs standalone: {@code java -cp ... io.isthmus.e2e.demo.DemoAppCommand ...}. */
    public static void main(String[] args) {
        int rc = new CommandLine(new DemoAppCommand()).execute(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    @Override
    public Integer call() throws Exception {
        // Names are answered by the sidecar's DNS proxy, which may start after the first lookup.
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        Security.setProperty("networkaddress.cache.ttl", "5");
        PodIdentity id = new PodIdentity(service, namespace, cluster, zone, pod, version);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--tls-cert and --tls-key go together");
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--client-cert and --client-key go together");
        }
        KeyManagerFactory tls = tlsCert == null ? null : serverKeys(tlsCert, tlsKey);
        List<DemoServer> apps = new ArrayList<>();
        for (int p : ports) {
            apps.add(DemoServer.start(id, new InetSocketAddress(appAddress, p), tls));
        }
        ControlServer control = ControlServer.start(new InetSocketAddress(controlAddress, controlPort), apps,
                new FreshCaller(trustPem, clientCert, clientKey));
        if (!proxyArgs.isEmpty()) {
            startProxy();
        }
        System.out.println("demo-app ready: " + id + " ports=" + ports + " control=" + controlAddress + ":" + controlPort);
        CountDownLatch forever = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            control.close();
            apps.forEach(DemoServer::close);
            forever.countDown();
        }, "demo-shutdown"));
        forever.await();
        return 0;
    }

    static KeyManagerFactory serverKeys(Path cert, Path key) throws GeneralSecurityException, IOException {
        List<X509Certificate> chain = Pem.readCertificates(cert);
        PrivateKey pk = Pem.readPrivateKey(key);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", pk, new char[0], chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        return kmf;
    }

    private void startProxy() throws ReflectiveOperationException {
        Class<?> type;
        try {
            type = Class.forName(proxyClass);
        } catch (ClassNotFoundException e) {
            LOG.error("no sidecar on the classpath [{}]: the pod runs without one", proxyClass);
            return;
        }
        Object command;
        try {
            command = type.getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("cannot create " + proxyClass + ": " + e.getCause(), e.getCause());
        }
        String[] args = proxyArgs.toArray(String[]::new);
        Thread t = new Thread(() -> {
            int rc = new CommandLine(command).execute(args);
            if (rc != 0) {
                LOG.error("in-process sidecar exited [{}] rc={}; the pod stops", pod, rc);
                System.exit(rc);
            }
            LOG.info("in-process sidecar command returned [{}] rc=0", pod);
        }, "sidecar-main");
        t.setDaemon(false);
        t.start();
    }
}
