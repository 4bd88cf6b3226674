package io.isthmus.e2e.support;

import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.net.NetworkMode;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Resolves a {@link LocalFederation} parameter (e.g. of a {@code @BeforeAll} method) to the
 * shared federation of the class's {@link UsesTopology} (the two-cluster one by default), and
 * prints the scenario summary when the run ends.
 */
public final class FederationExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == LocalFederation.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        new ReportSummary().beforeAll(ec);
        String topology = ec.getTestClass().map(c -> c.getAnnotation(UsesTopology.class)).map(UsesTopology::value)
                .orElse(SharedFederation.TWO_CLUSTERS);
        NetworkMode mode = ec.getTestClass().map(c -> c.getAnnotation(UsesTopology.class)).map(UsesTopology::mode)
                .orElse(NetworkMode.NETNS);
        return SharedFederation.get(ec, topology, mode);
    }
}
