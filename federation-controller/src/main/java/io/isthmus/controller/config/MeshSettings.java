package io.isthmus.controller.config;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Istio's mesh-wide {@code MeshConfig}, the supported subset, read like Istio from the {@code mesh}
 * key of the ConfigMap {@code istio} in the root namespace: {@code outboundTrafficPolicy.mode},
 * {@code h2UpgradePolicy}, {@code localityLbSetting}, {@code connectTimeout}, {@code defaultHttpRetryPolicy},
 * {@code enableAutoMtls} and {@code defaultConfig.gatewayTopology.numTrustedProxies}.
 * Other MeshConfig fields are accepted and have no effect (a ConfigMap written for Istio carries many); they are
 * listed in {@link #ignoredFields()}, which {@link ConfigChecks} reports. A ConfigMap with another name or namespace is
 * held but means nothing.
 *
 * @param ref the ConfigMap
 * @param outboundTrafficPolicy the mesh-wide mode, empty = ALLOW_ANY (Istio's default)
 * @param numTrustedProxies how many proxies in front of the ingress gateways are trusted to append
 *     to {@code X-Forwarded-For} (default 0)
 * @param h2UpgradePolicy whether HTTP/1.1 ports are spoken as HTTP/2 between proxies where a DestinationRule does not
 *     say ({@link TrafficPolicy.H2UpgradePolicy#DO_NOT_UPGRADE}, Istio's default, or {@code UPGRADE})
 * @param localityLbSetting the locality balancing of every cluster whose DestinationRule has none, empty = on, with
 *     no explicit failover (Istio's default)
 * @param connectTimeout the connect timeout of every outbound cluster whose DestinationRule sets none, empty = the
 *     mesh's 1 s
 * @param defaultHttpRetryPolicy the retry policy of every HTTP route that sets none (a VirtualService route without
 *     {@code retries}, a service's default route), empty = Istio's default (2 retries on connect-failure,
 *     refused-stream, unavailable, cancelled and 503); {@code attempts: 0}, or no {@code attempts}, turns retries off
 *     mesh-wide
 * @param enableAutoMtls whether clients speak the mesh's mTLS to mesh services whose DestinationRule says nothing about
 *     TLS (Istio's default, true); false = only where a DestinationRule says {@code ISTIO_MUTUAL}
 * @param ignoredFields the MeshConfig fields present that Isthmus does not honour (paths like
 *     {@code defaultConfig.discoveryAddress}), for a warning
 */
public record MeshSettings(ResourceRef ref, Optional<Sidecar.OutboundTrafficPolicy> outboundTrafficPolicy,
                           int numTrustedProxies, TrafficPolicy.H2UpgradePolicy h2UpgradePolicy,
                           Optional<TrafficPolicy.LocalityLb> localityLbSetting, Optional<Duration> connectTimeout,
                           Optional<VirtualService.Retries> defaultHttpRetryPolicy, boolean enableAutoMtls,
                           List<String> ignoredFields) implements MeshResource {

    /** The MeshConfig fields Isthmus honours, the others of {@code defaultConfig} and {@code gatewayTopology} aside. */
    private static final Set<String> SUPPORTED = Set.of("outboundTrafficPolicy", "h2UpgradePolicy", "localityLbSetting",
            "connectTimeout", "defaultHttpRetryPolicy", "enableAutoMtls", "defaultConfig");

    /** Kind name (a core {@code v1} ConfigMap). */
    public static final String KIND = "ConfigMap";
    /** The ConfigMap's name, as Istio's. */
    public static final String NAME = "istio";
    /** The ConfigMap key holding the MeshConfig YAML, as Istio's. */
    public static final String KEY = "mesh";

    public MeshSettings {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(outboundTrafficPolicy, "outboundTrafficPolicy");
        Objects.requireNonNull(h2UpgradePolicy, "h2UpgradePolicy");
        Objects.requireNonNull(localityLbSetting, "localityLbSetting");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(defaultHttpRetryPolicy, "defaultHttpRetryPolicy");
        ignoredFields = List.copyOf(ignoredFields);
        if (h2UpgradePolicy == TrafficPolicy.H2UpgradePolicy.DEFAULT) {
            throw new IllegalArgumentException("the mesh-wide h2UpgradePolicy is DO_NOT_UPGRADE or UPGRADE");
        }
        if (numTrustedProxies < 0) {
            throw new IllegalArgumentException("numTrustedProxies < 0: " + numTrustedProxies);
        }
    }

    /** Istio's defaults for a ConfigMap. */
    static MeshSettings defaults(ResourceRef ref) {
        return new MeshSettings(ref, Optional.empty(), 0, TrafficPolicy.H2UpgradePolicy.DO_NOT_UPGRADE, Optional.empty(),
                Optional.empty(), Optional.empty(), true, List.of());
    }

    /** Whether this ConfigMap is the mesh's ({@code istio} in {@code rootNamespace}). */
    public boolean isMeshWide(String rootNamespace) {
        return ref.name().equals(NAME) && ref.namespace().equals(rootNamespace);
    }

    /**
     * Reads a ConfigMap; only one named {@code istio} is parsed (its namespace is checked by
     * {@link MeshConfig#settings()}).
     *
     * @throws ConfigException naming the field ({@code data.mesh.outboundTrafficPolicy.mode}...)
     */
    static MeshSettings parse(ResourceRef ref, GenericKubernetesResource r) {
        if (!ref.name().equals(NAME)) {
            return defaults(ref);
        }
        Object data = r.getAdditionalProperties().get("data");
        if (data == null) {
            return defaults(ref);
        }
        if (!(data instanceof Map<?, ?> dm)) {
            throw new ConfigException(ref, "data", "must be an object");
        }
        Object mesh = dm.get(KEY);
        if (mesh == null) {
            return defaults(ref);
        }
        if (!(mesh instanceof String text)) {
            throw new ConfigException(ref, "data." + KEY, "must be a string holding MeshConfig YAML");
        }
        return parseMesh(ref, text);
    }

    /** Reads MeshConfig YAML (the {@code mesh} key's text). */
    static MeshSettings parseMesh(ResourceRef ref, String text) {
        Object parsed;
        try {
            parsed = text.isBlank() ? Map.of() : Serialization.unmarshal(text, Object.class);
        } catch (RuntimeException e) {
            throw new ConfigException(ref, "data." + KEY, "not YAML: " + e.getMessage());
        }
        if (parsed == null) {
            parsed = Map.of();
        }
        if (!(parsed instanceof Map<?, ?>)) {
            throw new ConfigException(ref, "data." + KEY, "must be a YAML object (MeshConfig)");
        }
        @SuppressWarnings("unchecked")
        Fields f = new Fields(ref, "data." + KEY, (Map<String, Object>) parsed);
        Optional<Sidecar.OutboundTrafficPolicy> mode = Optional.empty();
        Fields otp = f.obj("outboundTrafficPolicy");
        if (otp != null) {
            otp.allowOnly("mode");
            mode = Optional.ofNullable(otp.enumValue("mode", Sidecar.OutboundTrafficPolicy.class, null));
        }
        int trusted = 0;
        Fields dc = f.obj("defaultConfig");
        Fields topology = dc == null ? null : dc.obj("gatewayTopology");
        if (topology != null) {
            trusted = topology.integer("numTrustedProxies", 0, 0, 64);
        }
        String upgrade = f.str("h2UpgradePolicy", "DO_NOT_UPGRADE");
        if (!upgrade.equals("DO_NOT_UPGRADE") && !upgrade.equals("UPGRADE")) {
            throw f.error("h2UpgradePolicy", "must be DO_NOT_UPGRADE or UPGRADE, got " + upgrade);
        }
        Optional<TrafficPolicy.LocalityLb> locality = Optional.ofNullable(f.obj("localityLbSetting")).map(TrafficPolicy::localityLb);
        Duration connectTimeout = f.duration("connectTimeout");
        Optional<VirtualService.Retries> retries = Optional.ofNullable(f.obj("defaultHttpRetryPolicy")).map(VirtualService::retries);
        boolean autoMtls = !Boolean.FALSE.equals(f.bool("enableAutoMtls"));
        List<String> ignored = new ArrayList<>();
        f.stringKeys().stream().filter(k -> !SUPPORTED.contains(k)).forEach(ignored::add);
        if (dc != null) {
            dc.stringKeys().stream().filter(k -> !k.equals("gatewayTopology")).forEach(k -> ignored.add("defaultConfig." + k));
        }
        if (topology != null) {
            topology.stringKeys().stream().filter(k -> !k.equals("numTrustedProxies"))
                    .forEach(k -> ignored.add("defaultConfig.gatewayTopology." + k));
        }
        Collections.sort(ignored);
        return new MeshSettings(ref, mode, trusted, TrafficPolicy.H2UpgradePolicy.valueOf(upgrade), locality,
                Optional.ofNullable(connectTimeout), retries, autoMtls, ignored);
    }
}
