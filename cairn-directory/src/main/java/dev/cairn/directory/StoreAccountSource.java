// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import dev.cairn.store.Account;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The lookups' reads of the accounts a replicated store's slot holds (master or replica alike:
 * they are reads of the slot, never writes). A slot that cannot be read is the directory being
 * unavailable (a login then fails temporarily, a delivery gets 451).
 */
final class StoreAccountSource implements AccountSource {
    private final SlotStore slot;

    StoreAccountSource(SlotStore slot) { this.slot = slot; }

    Optional<Account> account(String name) { return read(() -> slot.account(name)); }

    Optional<String> owner(String address) { return read(() -> slot.accountOf(address)); }

    private static <T> T read(Supplier<T> read) {
        try {
            return read.get();
        } catch (StoreException e) {
            throw new DirectoryException(Reason.UNAVAILABLE, "the store's accounts cannot be read: " + e.getMessage(), e);
        }
    }

    @Override public Optional<Credentials> byName(String name) {
        return account(name).map(a -> new Credentials(name, a.passwordHash(), a.disabled()));
    }

    @Override public Optional<Credentials> byAddress(String address) { return owner(address).flatMap(this::byName); }

    @Override public Optional<Recipient> recipientByAddress(String address, Optional<String> detail) {
        return owner(address).flatMap(user -> recipientByName(user, detail));
    }

    @Override public Optional<Recipient> recipientByName(String name, Optional<String> detail) {
        return account(name).map(a -> new Recipient(name, detail, a.disabled()));
    }

    /**
     * Not done: an account of the store changes only on its master and through a replicated
     * commit, which a login (maybe on a replica) does not make. The old hash keeps working.
     */
    @Override public void rehashed(String name, String oldHash, String newHash) {}
}
