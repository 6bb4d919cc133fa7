// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.Optional;

/**
 * Where {@link Lookups} finds accounts: the SQL tables of SQLite or PostgreSQL ({@link SqlAccountSource}), a
 * replicated store's slot ({@link StoreAccountSource}), or one before the other
 * ({@link #firstThen}). Keys are canonical (see {@link UserNames}, {@link Addresses}).
 */
interface AccountSource {
    /** What a login is checked against. */
    record Credentials(String name, String hash, boolean disabled) {
        @Override public String toString() { return "Credentials[" + name + ", disabled=" + disabled + "]"; }
    }

    Optional<Credentials> byName(String name);

    Optional<Credentials> byAddress(String address);

    /** The user an address delivers to, with the given detail. */
    Optional<Recipient> recipientByAddress(String address, Optional<String> detail);

    /** The user of that name, with the given detail. */
    Optional<Recipient> recipientByName(String name, Optional<String> detail);

    /** The hash of a login that succeeded was made with older parameters: replace it if it is still the same. */
    void rehashed(String name, String oldHash, String newHash);

    /** Asks {@code first}; where it knows nothing, {@code then}. */
    static AccountSource firstThen(AccountSource first, AccountSource then) {
        return new AccountSource() {
            @Override public Optional<Credentials> byName(String name) { return first.byName(name).or(() -> then.byName(name)); }

            @Override public Optional<Credentials> byAddress(String address) {
                return first.byAddress(address).or(() -> then.byAddress(address));
            }

            @Override public Optional<Recipient> recipientByAddress(String address, Optional<String> detail) {
                return first.recipientByAddress(address, detail).or(() -> then.recipientByAddress(address, detail));
            }

            @Override public Optional<Recipient> recipientByName(String name, Optional<String> detail) {
                return first.recipientByName(name, detail).or(() -> then.recipientByName(name, detail));
            }

            @Override public void rehashed(String name, String oldHash, String newHash) {
                first.rehashed(name, oldHash, newHash);
                then.rehashed(name, oldHash, newHash);
            }
        };
    }
}
