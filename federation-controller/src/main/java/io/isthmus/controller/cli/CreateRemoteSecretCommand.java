package io.isthmus.controller.cli;

import io.isthmus.controller.federation.RemoteSecretException;
import io.isthmus.controller.federation.RemoteSecrets;
import io.isthmus.mesh.MeshLabels;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code isthmus create-remote-secret}: prints the remote secret (YAML) that joins a cluster to the
 * federation, for {@code kubectl apply -f -} in the system namespace of every primary that should
 * see it. The kubeconfig's context is flattened (files inlined) into the secret.
 */
@Command(name = "create-remote-secret", mixinStandardHelpOptions = true,
        description = {"Prints the remote secret that lets other controllers watch this cluster's API server.",
                "Use the kubeconfig of a reader service account (see --print-rbac) rather than an admin one."})
public final class CreateRemoteSecretCommand implements Callable<Integer> {

    static final String RBAC_RESOURCE = "/io/isthmus/controller/federation/remote-reader-rbac.yaml";

    @Option(names = "--kubeconfig", description = "Kubeconfig reaching the cluster's API server (default $KUBECONFIG or ~/.kube/config).")
    Path kubeconfig;

    @Option(names = "--context", description = "Context of the kubeconfig to use (default: its current context).")
    String context;

    @Option(names = "--name", description = "The cluster's name in the federation (required unless --print-rbac).")
    String name;

    @Option(names = "--namespace", defaultValue = MeshLabels.SYSTEM_NAMESPACE,
            description = "Namespace of the secret: the readers' system namespace (default ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--server", description = "API server URL to write instead of the kubeconfig's (e.g. an address reachable from the other clusters).")
    String server;

    @Option(names = "--print-rbac", description = "Print the minimal reader RBAC (ServiceAccount, ClusterRole, binding, token Secret) instead.")
    boolean printRbac;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CreateRemoteSecretCommand()).execute(args));
    }

    /** The reader RBAC manifest shipped with the controller. */
    public static String readerRbac() throws IOException {
        try (InputStream in = CreateRemoteSecretCommand.class.getResourceAsStream(RBAC_RESOURCE)) {
            if (in == null) {
                throw new IOException("resource missing: " + RBAC_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            if (printRbac) {
                out.print(readerRbac());
                out.flush();
                return 0;
            }
            if (name == null) {
                err.println("isthmus create-remote-secret: --name is required");
                return 2;
            }
            Path file = kubeconfig != null ? kubeconfig : defaultKubeconfig();
            String flat = RemoteSecrets.flatten(Files.readString(file), context, name, server);
            out.print(RemoteSecrets.toYaml(RemoteSecrets.remoteSecret(name, flat, namespace)));
            out.flush();
            return 0;
        } catch (RemoteSecretException | IOException e) {
            err.println("isthmus create-remote-secret: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private static Path defaultKubeconfig() {
        String env = System.getenv("KUBECONFIG");
        if (env != null && !env.isBlank()) {
            return Path.of(env.split(java.io.File.pathSeparator)[0]);
        }
        return Path.of(System.getProperty("user.home"), ".kube", "config");
    }
}
