// SPDX-License-Identifier: Apache-2.0
package dev.cairn.lmtp;

import java.util.Optional;

/**
 * Maps an envelope recipient to the account that receives it. Implemented by the directory
 * (users, aliases, {@code user+detail@domain}). It may throw for a temporary failure (the
 * directory is unreachable): the recipient is then answered 451 4.3.0 so the MTA retries.
 */
@FunctionalInterface
public interface RecipientResolver {
    /** The account for {@code address} (as given in RCPT TO, without brackets), or empty if unknown. */
    Optional<Recipient> resolve(String address);

    /**
     * @param user   the canonical account name
     * @param detail the "+detail" sub-address (RFC 5233), delivered into the folder of that name
     *               when it exists and into INBOX otherwise
     */
    record Recipient(String user, Optional<String> detail) {
        public Recipient {
            java.util.Objects.requireNonNull(user);
            java.util.Objects.requireNonNull(detail);
        }

        public static Recipient of(String user) { return new Recipient(user, Optional.empty()); }
    }
}
