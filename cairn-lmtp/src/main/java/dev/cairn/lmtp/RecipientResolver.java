// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import java.util.Objects;
import java.util.Optional;

/**
 * Maps an envelope recipient to the account that receives it. Implemented by the directory
 * (users, aliases, {@code user+detail@domain}, user names in the local domains). It may throw for a
 * temporary failure (the directory is unreachable): the recipient is then answered 451 4.3.0 so
 * the MTA retries.
 */
@FunctionalInterface
public interface RecipientResolver {
    /** What {@code address} (as given in RCPT TO, without brackets) reaches. */
    Lookup resolve(String address);

    /** The answer to RCPT TO. */
    sealed interface Lookup {
        /** Accepted: 250 2.1.5. */
        record Found(Recipient recipient) implements Lookup {}

        /** Nobody has that address: 550 5.1.1 with the reason (RFC 3463 §3.2 X.1.1), which the MTA puts in its bounce. */
        record Unknown(String reason) implements Lookup {}

        /** The account exists but takes no mail: 550 5.2.1 (RFC 3463 §3.3 X.2.1 "Mailbox disabled"). */
        record Disabled(String reason) implements Lookup {}

        /**
         * This node cannot take the recipient's mail now, and another can (its mailbox store is
         * mastered elsewhere: a replica, a fenced former master): 451 4.3.0 with the reason, at RCPT
         * rather than after DATA (RFC 3463 §3.5 X.3.0), so the MTA keeps the message and retries.
         */
        record Unavailable(String reason) implements Lookup {}

        /**
         * Another node takes the recipient's mail (a front-end, or a node in unified mode, whose
         * recipient's store is mastered elsewhere): 250 at RCPT, since the front decided, and after
         * DATA the {@link Forwarder}'s reply for it. Recipients with equal targets share one
         * forwarded transaction.
         *
         * @param recipient the directory's answer, for the log
         * @param target    where the {@link Forwarder} sends it; compared with {@code equals}
         */
        record Elsewhere(Recipient recipient, Object target) implements Lookup {
            public Elsewhere {
                Objects.requireNonNull(recipient);
                Objects.requireNonNull(target);
            }
        }

        static Lookup found(String user) { return new Found(Recipient.of(user)); }
    }

    /**
     * @param user   the canonical account name
     * @param detail the "+detail" sub-address (RFC 5233), delivered into the folder of that name
     *               when it exists and into INBOX otherwise
     */
    record Recipient(String user, Optional<String> detail) {
        public Recipient {
            Objects.requireNonNull(user);
            Objects.requireNonNull(detail);
        }

        public static Recipient of(String user) { return new Recipient(user, Optional.empty()); }
    }
}
