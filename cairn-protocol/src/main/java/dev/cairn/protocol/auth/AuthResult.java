// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.auth;

import java.util.Objects;

/** The answer of an {@link Authenticator}. */
public sealed interface AuthResult {
    /** Authenticated; {@code user} is the canonical account name to open the store with. */
    record Success(String user) implements AuthResult {
        public Success { Objects.requireNonNull(user); }
    }

    /** Not authenticated. {@code detail} is for the server log only, never for the client. */
    record Failure(Reason reason, String detail) implements AuthResult {
        public Failure { Objects.requireNonNull(reason); }
    }

    enum Reason {
        /** Unknown user or wrong password; the client must not learn which. */
        INVALID_CREDENTIALS,
        /** The account exists but may not log in now. */
        DISABLED,
        /** The authcid may not act as the requested authzid. */
        AUTHORIZATION_DENIED,
        /** The directory could not answer (IMAP [UNAVAILABLE], POP3 [SYS/TEMP]); try again later. */
        TEMPORARY_FAILURE
    }

    static AuthResult success(String user) { return new Success(user); }

    static AuthResult invalid(String detail) { return new Failure(Reason.INVALID_CREDENTIALS, detail); }
}
