package io.isthmus.e2e.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The topology file (in {@code topology-configs/}) whose shared federation a scenario class runs against. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface UsesTopology {
    /** The file name, e.g. {@code three-clusters-primary-remote.yaml}. */
    String value();
}
