// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A user's account as a replicated store keeps it, beside the user's mail: it is written by a
 * change record of the user ({@code Change.AccountSet}), so it follows the store through
 * replication, reconciliation and resync like the mail does. Names and addresses are in the
 * directory's canonical spelling (the directory validates them; the store only keeps them).
 *
 * @param passwordHash   the PHC string (Argon2id), or null for an account that cannot log in
 * @param primaryAddress the address mail is normally sent to, if any (not among {@code aliases})
 * @param aliases        further addresses that deliver to the user, sorted, without duplicates
 * @param storageLimit   octets, -1 for none
 * @param messageLimit   messages, -1 for none
 * @param group          placement group, if any
 */
public record Account(String passwordHash, Optional<String> primaryAddress, List<String> aliases, long storageLimit,
                      long messageLimit, Optional<String> group, Instant created, boolean disabled) {
    public Account {
        primaryAddress = primaryAddress == null ? Optional.empty() : primaryAddress;
        group = group == null ? Optional.empty() : group;
        List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(aliases));
        primaryAddress.ifPresent(sorted::remove);
        aliases = List.copyOf(sorted);
    }

    /** Every address of the account: the primary one first, then the aliases. */
    public List<String> addresses() {
        List<String> all = new ArrayList<>(aliases.size() + 1);
        primaryAddress.ifPresent(all::add);
        all.addAll(aliases);
        return all;
    }

    public Account withPasswordHash(String hash) {
        return new Account(hash, primaryAddress, aliases, storageLimit, messageLimit, group, created, disabled);
    }

    /** The hash is left out: a record that prints it ends up in a log line sooner or later. */
    @Override
    public String toString() {
        return "Account[primaryAddress=" + primaryAddress + ", aliases=" + aliases + ", storageLimit=" + storageLimit
                + ", messageLimit=" + messageLimit + ", group=" + group + ", created=" + created + ", disabled=" + disabled
                + ", password=" + (passwordHash == null ? "none" : "set") + "]";
    }
}
