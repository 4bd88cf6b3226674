package io.isthmus.e2e.support;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;

/** Prints the table of every scenario report once, when the whole test run ends, and writes it to {@code target/e2e-reports/summary.txt}. */
public final class ReportSummary implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.create(ReportSummary.class))
                .getOrComputeIfAbsent("summary", k -> new Printer(), Printer.class);
    }

    /** Prints and writes the table when the root store closes. */
    private static final class Printer implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            if (!ScenarioReport.any()) {
                return;
            }
            String table = ScenarioReport.table();
            System.out.println("\n=== Isthmus end-to-end scenarios ===" + table);
            try {
                Files.createDirectories(SharedFederation.reportDir());
                Files.writeString(SharedFederation.reportDir().resolve("summary.txt"), table);
            } catch (IOException e) {
                System.out.println("cannot write the summary: " + e.getMessage());
            }
        }
    }
}
