/**
 * Istio mesh configuration: VirtualService, DestinationRule, ServiceEntry, Sidecar, Gateway
 * ({@code networking.istio.io/v1}), PeerAuthentication and AuthorizationPolicy
 * ({@code security.istio.io/v1}), and the {@code v1} Secrets holding gateway TLS credentials, read
 * as generic resources and validated into immutable records.
 * A resource with a field outside the supported subset ({@code docs/config-support.md}) or an
 * invalid value is rejected as a whole with a {@link io.isthmus.controller.config.ConfigException}
 * naming the resource, the field and the reason.
 * Sources: the API server of the controller's cluster ({@code KubernetesConfigWatcher}), the
 * credential Secrets of remote clusters ({@code KubernetesConfigWatcher.credentialsOnly}) and the
 * files of {@code --config-dir} ({@code ConfigDirectory}), merged by {@code ConfigRegistry}.
 */
package io.isthmus.controller.config;
