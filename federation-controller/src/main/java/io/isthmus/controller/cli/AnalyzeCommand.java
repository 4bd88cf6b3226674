package io.isthmus.controller.cli;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.isthmus.controller.config.ConfigChecks;
import io.isthmus.controller.config.ConfigException;
import io.isthmus.controller.config.ConfigFiles;
import io.isthmus.controller.config.ConfigParser;
import io.isthmus.controller.config.MeshConfig;
import io.isthmus.controller.config.MeshResource;
import io.isthmus.mesh.MeshLabels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code isthmus analyze FILE…}: validates Istio config offline with the controller's own rules.
 * Prints one line per rejected resource (resource, field, reason) and warnings for references that
 * cannot resolve within the given files (a route to a subset no DestinationRule defines). Exit code
 * 0 when everything is accepted, 1 when something is rejected, 2 on unreadable input.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = "Validates Istio config files (VirtualService, DestinationRule, ServiceEntry, Sidecar, "
                + "PeerAuthentication, AuthorizationPolicy) with the same rules as the controller.")
public final class AnalyzeCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "YAML files, several documents each.")
    List<Path> files;

    @Option(names = "--namespace", defaultValue = "default", description = "Namespace of resources that name none (default ${DEFAULT-VALUE}).")
    String namespace;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AnalyzeCommand()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<MeshResource> accepted = new ArrayList<>();
        int rejected = 0;
        int ignored = 0;
        for (Path f : files) {
            List<GenericKubernetesResource> resources;
            try {
                resources = ConfigFiles.read(f);
            } catch (NoSuchFileException e) {
                out.println("Error: no such file: " + f);
                out.flush();
                return 2;
            } catch (AccessDeniedException e) {
                out.println("Error: cannot read " + f + " (permission denied)");
                out.flush();
                return 2;
            } catch (IOException | IllegalArgumentException e) {
                out.println("Error [" + f + "] " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
                out.flush();
                return 2;
            }
            for (GenericKubernetesResource r : resources) {
                if (!ConfigParser.isMeshConfig(r)) {
                    ignored++;
                    continue;
                }
                try {
                    accepted.add(ConfigParser.parse(r, namespace));
                } catch (ConfigException e) {
                    rejected++;
                    out.println("Error [" + f + "] " + e.getMessage());
                }
            }
        }
        List<String> warnings = ConfigChecks.crossCheck(new MeshConfig(accepted, MeshLabels.SYSTEM_NAMESPACE));
        warnings.forEach(w -> out.println("Warning " + w));
        out.println(accepted.size() + " accepted, " + rejected + " rejected, " + warnings.size() + " warnings"
                + (ignored > 0 ? ", " + ignored + " other resources ignored" : ""));
        out.flush();
        return rejected == 0 ? 0 : 1;
    }
}
