package io.isthmus.controller.xds;

import io.isthmus.controller.translate.ProxyResources;
import io.isthmus.controller.translate.ProxyView;

/**
 * Where the transport gets a proxy's configuration from: the translation of the current mesh state
 * for one proxy view. The transport knows nothing of how it is built.
 */
@FunctionalInterface
public interface ProxyConfigSource {

    /** The complete configuration of the proxy described by {@code view}, now. */
    ProxyResources resourcesFor(ProxyView view);
}
