// SPDX-License-Identifier: Apache-2.0
package dev.cairn.protocol.relay;

import java.util.Objects;

/** The answer of {@link SessionRoutes}. */
public sealed interface SessionRoute {
    /** Served here, as a node serves its own users. */
    SessionRoute LOCAL = new Local();

    /** This node masters the user's store (or holds mail outside any cluster). */
    record Local() implements SessionRoute {}

    /** A session on the user's back-end is open and logged in: answer the client, then relay. */
    record Relayed(RelayedSession session) implements SessionRoute {
        public Relayed { Objects.requireNonNull(session); }
    }

    /**
     * The user's back-end cannot be reached now (no master, or it did not answer within the wait):
     * IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]; or the back-end took the login and refused the
     * session for a reason of the user's own, which the client is to see: {@code reply}, the
     * back-end's line as the client gets it (POP3 only today: its {@code -ERR [IN-USE]}, RFC 2449
     * §8.1.2), null for the generic answer. {@code reason} is for the log only.
     */
    record Unavailable(String reason, String reply) implements SessionRoute {
        public Unavailable { Objects.requireNonNull(reason); }

        /** Answered with the protocol's generic temporary failure. */
        public Unavailable(String reason) { this(reason, null); }
    }
}
