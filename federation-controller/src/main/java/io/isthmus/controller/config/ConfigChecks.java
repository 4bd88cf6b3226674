package io.isthmus.controller.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks across resources that each validated on its own: references that do not resolve. These
 * are warnings, not rejections (the referenced resource may arrive later), reported by
 * {@code isthmus analyze} and logged by the controller.
 */
public final class ConfigChecks {

    private ConfigChecks() {
    }

    /** Warnings for a snapshot, each naming the resource and field. */
    public static List<String> crossCheck(MeshConfig config) {
        List<String> warnings = new ArrayList<>();
        for (VirtualService vs : config.all(VirtualService.class)) {
            for (int i = 0; i < vs.http().size(); i++) {
                List<VirtualService.RouteDestination> route = vs.http().get(i).route();
                for (int j = 0; j < route.size(); j++) {
                    VirtualService.Destination d = route.get(j).destination();
                    if (d.subset().isEmpty()) {
                        continue;
                    }
                    boolean defined = config.destinationRuleFor(d.host(), vs.ref().namespace())
                            .flatMap(dr -> dr.subset(d.subset())).isPresent();
                    if (!defined) {
                        warnings.add(vs.ref() + ": spec.http[" + i + "].route[" + j + "].destination.subset: subset "
                                + d.subset() + " of " + d.host() + " is defined by no DestinationRule");
                    }
                }
            }
        }
        for (DestinationRule dr : config.all(DestinationRule.class)) {
            long same = config.all(DestinationRule.class).stream()
                    .filter(o -> o.host().equals(dr.host()) && o.ref().namespace().equals(dr.ref().namespace())).count();
            if (same > 1) {
                warnings.add(dr.ref() + ": spec.host: " + same + " DestinationRules for " + dr.host()
                        + " in one namespace; only the first by name is used");
            }
        }
        warnings.addAll(Gateway.conflicts(config.all(Gateway.class)));
        MeshSettings mesh = config.settings();
        if (!mesh.ignoredFields().isEmpty()) {
            warnings.add(mesh.ref() + ": data." + MeshSettings.KEY + ": not supported by Isthmus, no effect: "
                    + String.join(", ", mesh.ignoredFields()));
        }
        for (VirtualService vs : config.all(VirtualService.class)) {
            for (int i = 0; i < vs.gateways().size(); i++) {
                String g = vs.gateways().get(i);
                if (g.equals(VirtualService.MESH)) {
                    continue;
                }
                boolean exists = config.all(Gateway.class).stream().anyMatch(gw ->
                        VirtualService.names(List.of(g), vs.ref().namespace(), gw.ref().namespace(), gw.ref().name()));
                if (!exists) {
                    warnings.add(vs.ref() + ": spec.gateways[" + i + "]: " + g + " names no Gateway"
                            + (g.contains("/") ? "" : " of namespace " + vs.ref().namespace()));
                }
            }
        }
        return warnings;
    }
}
