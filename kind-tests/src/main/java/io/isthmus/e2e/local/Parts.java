package io.isthmus.e2e.local;

import java.util.ArrayList;
import java.util.List;

/**
 * The mesh parts the local federation runs, by the class that must be on the classpath for each.
 * A part that is absent is left out of the federation (and named), never faked.
 */
public enum Parts {
    /** The control plane: {@code isthmus controller}. */
    CONTROLLER("io.isthmus.controller.cli.ControllerCommand"),
    /** The sidecar: {@code isthmus proxy}. */
    SIDECAR("io.isthmus.sidecar.cli.ProxyCommand"),
    /** The east-west gateway: {@code isthmus gateway}. */
    GATEWAY("io.isthmus.gateway.cli.GatewayCommand");

    private final String mainClass;

    Parts(String mainClass) {
        this.mainClass = mainClass;
    }

    /** The class whose {@code main} runs this part. */
    public String mainClass() {
        return mainClass;
    }

    /** Whether this part's class is on the classpath. */
    public boolean available() {
        try {
            Class.forName(mainClass, false, Parts.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** The parts that are absent, with their class names. */
    public static List<String> missing() {
        List<String> out = new ArrayList<>();
        for (Parts p : values()) {
            if (!p.available()) {
                out.add(p.name().toLowerCase(java.util.Locale.ROOT) + " (" + p.mainClass + ")");
            }
        }
        return out;
    }
}
