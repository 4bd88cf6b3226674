package io.isthmus.controller.config;

import java.util.List;
import java.util.function.Consumer;

/** Where the translators read mesh config from: the current snapshot, rejections, and change notification. */
public interface ConfigStore {

    /** The current snapshot of accepted resources. */
    MeshConfig current();

    /** The resources rejected now, with why (for logs, metrics and status). */
    List<ConfigException> rejected();

    /**
     * Registers a listener called with each new snapshot (on a store thread, one at a time).
     *
     * @return closing it removes the listener
     */
    AutoCloseable addListener(Consumer<MeshConfig> listener);
}
