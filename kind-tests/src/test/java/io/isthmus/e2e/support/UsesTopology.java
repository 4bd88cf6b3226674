package io.isthmus.e2e.support;

import io.isthmus.e2e.net.NetworkMode;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The topology file (in {@code topology-configs/}) whose shared federation a scenario class runs
 * against, and in which network mode.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface UsesTopology {
    /** The file name, e.g. {@code three-clusters-primary-remote.yaml}. */
    String value();

    /** Network namespaces (the default) or loopback addresses ({@link NetworkMode#LOOPBACK}, not isolated). */
    NetworkMode mode() default NetworkMode.NETNS;
}
