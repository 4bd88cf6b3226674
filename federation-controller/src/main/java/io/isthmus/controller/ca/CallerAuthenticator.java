package io.isthmus.controller.ca;

import io.isthmus.trust.SpiffeId;
import java.util.Optional;

/**
 * Turns a bearer token into the mesh identity it stands for.
 */
@FunctionalInterface
public interface CallerAuthenticator {

    /**
     * The identity behind a token.
     *
     * @param token the bearer token, without the {@code Bearer } prefix
     * @return the identity, or empty when the token is unknown or invalid
     */
    Optional<SpiffeId> authenticate(String token);

    /** An authenticator that tries this one, then {@code other}. */
    default CallerAuthenticator or(CallerAuthenticator other) {
        return token -> authenticate(token).or(() -> other.authenticate(token));
    }

    /** An authenticator that knows no token. */
    static CallerAuthenticator none() {
        return token -> Optional.empty();
    }
}
