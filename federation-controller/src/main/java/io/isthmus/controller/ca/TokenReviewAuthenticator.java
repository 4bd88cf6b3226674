package io.isthmus.controller.ca;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.isthmus.trust.SpiffeId;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates Kubernetes service-account tokens with the API server's TokenReview: an
 * authenticated user {@code system:serviceaccount:<ns>:<sa>} is the identity
 * {@code spiffe://<td>/ns/<ns>/sa/<sa>}.
 */
public final class TokenReviewAuthenticator implements CallerAuthenticator {
    private static final Logger LOG = LoggerFactory.getLogger(TokenReviewAuthenticator.class);
    private static final String PREFIX = "system:serviceaccount:";

    private final KubernetesClient client;
    private final String trustDomain;
    private final List<String> audiences;

    /**
     * Creates the authenticator.
     *
     * @param client a client of the cluster whose tokens are checked
     * @param trustDomain the trust domain of the granted identities
     * @param audiences audiences to ask for; empty for the API server's default
     */
    public TokenReviewAuthenticator(KubernetesClient client, String trustDomain, List<String> audiences) {
        this.client = Objects.requireNonNull(client, "client");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.audiences = List.copyOf(audiences);
    }

    /**
     * An authenticator that asks each of {@code clients} (read at every call: the joined clusters of
     * the moment) in turn, so that a token of any joined cluster authenticates; the identity is the
     * same in every cluster (namespace sameness), as Istio's CA grants it.
     */
    public static CallerAuthenticator anyOf(Supplier<? extends Collection<KubernetesClient>> clients, String trustDomain) {
        Objects.requireNonNull(clients, "clients");
        return token -> {
            for (KubernetesClient c : clients.get()) {
                Optional<SpiffeId> id = new TokenReviewAuthenticator(c, trustDomain, List.of()).authenticate(token);
                if (id.isPresent()) {
                    return id;
                }
            }
            return Optional.empty();
        };
    }

    @Override
    public Optional<SpiffeId> authenticate(String token) {
        try {
            TokenReview review = client.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
                    .withNewSpec().withToken(token).withAudiences(audiences.isEmpty() ? null : audiences).endSpec()
                    .build());
            if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
                return Optional.empty();
            }
            String user = review.getStatus().getUser() == null ? "" : review.getStatus().getUser().getUsername();
            if (user == null || !user.startsWith(PREFIX)) {
                return Optional.empty();
            }
            String[] nsSa = user.substring(PREFIX.length()).split(":", -1);
            if (nsSa.length != 2) {
                return Optional.empty();
            }
            return Optional.of(SpiffeId.of(trustDomain, nsSa[0], nsSa[1]));
        } catch (RuntimeException e) {
            LOG.warn("TokenReview failed: {}", e.getMessage());
            return Optional.empty();
        }
    }
}
