package io.isthmus.e2e.local;

/** The mesh parts the local federation runs as child processes, by the class whose {@code main} runs each. */
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
}
