// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.List;
import java.util.Optional;

/**
 * Accounts, addresses and passwords. Every answer reflects the latest committed change, also a
 * change made by another process (the {@code cairn user} command while the server runs).
 *
 * <p>Names and addresses given to lookups are matched case-insensitively; names and addresses in
 * answers are canonical (see {@link UserNames}, {@link Addresses}).
 */
public interface Directory extends AutoCloseable {

    /** Adds a user and their primary address in one transaction. */
    User addUser(NewUser user);

    Optional<User> user(String name);

    /** All users, ordered by name. */
    List<User> users();

    /** Replaces the password; null removes it (the account can no longer log in). */
    void setPassword(String name, char[] password);

    void setQuota(String name, QuotaLimits quota);

    void setGroup(String name, Optional<String> group);

    void setDisabled(String name, boolean disabled);

    /** Makes the address the user's primary one (adding it if needed; the old primary stays as an alias). */
    void setPrimaryAddress(String name, String address);

    /** Removes the user and all their addresses; false when there was no such user. */
    boolean deleteUser(String name);

    /** Adds an alias: mail to the address goes to the user. */
    void addAlias(String address, String user);

    /** Removes an address (alias or primary); false when it did not exist. */
    boolean removeAddress(String address);

    /** Addresses of one user, or of everybody, ordered by user then address. */
    List<AddressEntry> addresses(Optional<String> user);

    /**
     * Checks a login (a user name or one of the user's addresses) and password. Takes the same
     * time whether or not the user exists.
     */
    Login login(String login, char[] password);

    /** The canonical user name when the login and password match an enabled account. */
    default Optional<String> authenticate(String login, char[] password) {
        Login result = login(login, password);
        return result.succeeded() ? result.user() : Optional.empty();
    }

    /**
     * The user a recipient address delivers to: the exact address first, then
     * {@code local+detail@domain} as {@code local@domain} with the detail, then, for the default
     * domain and the {@code local} domains (or an address without domain, when bare names are
     * allowed), a user whose name is the local part. When it reaches nobody, the answer says why.
     */
    Resolution resolve(String address, LocalDomains local);

    /** {@link #resolve(String, LocalDomains)} with only the default domain as local domain; empty when unknown. */
    default Optional<Recipient> resolve(String address) {
        return resolve(address, LocalDomains.NONE) instanceof Resolution.Found found
                ? Optional.of(found.recipient()) : Optional.empty();
    }

    /** The user's quota limits; {@link QuotaLimits#UNLIMITED} for an unknown user. */
    QuotaLimits quota(String user);

    /** Where users live (user -> store), and where a group's or a domain's new users go. */
    Placement placement();

    @Override
    void close();
}
