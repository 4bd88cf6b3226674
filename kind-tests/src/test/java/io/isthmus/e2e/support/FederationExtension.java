package io.isthmus.e2e.support;

import io.isthmus.e2e.driver.Federation;
import io.isthmus.e2e.driver.TargetUnsupportedException;
import io.isthmus.e2e.local.LocalFederation;
import io.isthmus.e2e.net.NetworkMode;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;

/**
 * Resolves a {@link Federation} (or {@link LocalFederation}) parameter (e.g. of a {@code @BeforeAll}
 * method) to the shared federation of the class's {@link UsesTopology} (the two-cluster one by
 * default) on the selected target (the local federation, or kind clusters: see {@link Targets}),
 * prints the scenario summary when the run ends, and turns a step the target cannot do
 * ({@link TargetUnsupportedException}), or an assumption that failed while the federation was being
 * resolved for a {@code @BeforeAll} method, into an aborted scenario, never a pass or a failure.
 */
public final class FederationExtension implements ParameterResolver, TestExecutionExceptionHandler,
        LifecycleMethodExecutionExceptionHandler {
    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        Class<?> type = pc.getParameter().getType();
        return type == LocalFederation.class || type == Federation.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        new ReportSummary().beforeAll(ec);
        String topology = ec.getTestClass().map(c -> c.getAnnotation(UsesTopology.class)).map(UsesTopology::value)
                .orElse(SharedFederation.TWO_CLUSTERS);
        if (Targets.kindSelected()) {
            return Targets.kind(ec, topology, pc.getParameter().getType());
        }
        NetworkMode mode = ec.getTestClass().map(c -> c.getAnnotation(UsesTopology.class)).map(UsesTopology::mode)
                .orElse(NetworkMode.NETNS);
        return SharedFederation.get(ec, topology, mode);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw reported(context, aborted(throwable));
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        throw reported(context, aborted(throwable));
    }

    /**
     * An abort, also written as a report with its reason (failsafe counts an aborted class as no
     * test at all, so the summary table and {@code target/e2e-reports} are where the reason shows).
     */
    private static Throwable reported(ExtensionContext context, Throwable t) {
        if (t instanceof TestAbortedException) {
            String name = context.getRequiredTestClass().getSimpleName() + context.getTestMethod().map(m -> "." + m.getName()).orElse("");
            String reason = String.valueOf(t.getMessage()).replaceFirst("^Assumption failed: ", "");
            ScenarioReport.of(name).outcome("skipped: " + reason).write(SharedFederation.reportDir());
        }
        return t;
    }

    /** The abort a throwable means (a step the target cannot do, an assumption inside parameter resolution), else itself. */
    private static Throwable aborted(Throwable t) {
        if (t instanceof TargetUnsupportedException e) {
            return new TestAbortedException(e.getMessage(), e);
        }
        if (t instanceof ParameterResolutionException && t.getCause() instanceof TestAbortedException a) {
            return a;
        }
        return t;
    }
}
