// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.util.List;
import java.util.Optional;

/**
 * The directory in an SQL database: the same tables ({@link Schema}), the same statements and the
 * same rules whether the database is the node's embedded SQLite file ({@link SqliteDirectory}) or
 * the cluster's PostgreSQL ({@link PostgresDirectory}). Nothing is cached: every lookup is one
 * indexed query, so a password change or a new alias applies to the next login or delivery,
 * wherever it was made. The work is done by {@link SqlUsers}, {@link SqlAddresses},
 * {@link SqlPlacement} and {@link Lookups} (login, recipients) on {@link SqlAccountSource}; the
 * database's own part (connections, the write lock, the schema's migration) by the {@link SqlPool}
 * of each subclass.
 */
public abstract sealed class SqlDirectory implements Directory permits SqliteDirectory, PostgresDirectory {
    private final Optional<String> defaultDomain;
    private final SqlPool pool;
    private final SqlUsers users;
    private final SqlAddresses addresses;
    private final SqlPlacement placement;
    private final Lookups lookups;
    private final PasswordHasher hasher;
    private final SqlAccountSource accounts;

    SqlDirectory(SqlPool pool, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy passwordPolicy) {
        this.defaultDomain = defaultDomain.map(Addresses::domain);
        this.pool = pool;
        this.users = new SqlUsers(pool, this.defaultDomain, hasher, passwordPolicy);
        this.addresses = new SqlAddresses(pool);
        this.placement = new SqlPlacement(pool);
        this.hasher = hasher;
        this.accounts = new SqlAccountSource(pool);
        this.lookups = new Lookups(accounts, this.defaultDomain, hasher, VerifiedPasswords.standard());
    }

    /** The default domain must be one: checked before anything is opened. */
    static void checkDefaultDomain(Optional<String> defaultDomain) {
        defaultDomain.ifPresent(d -> {
            if (Addresses.problem("postmaster@" + d) != null) {
                throw new DirectoryException(DirectoryException.Reason.INVALID_ADDRESS, "'" + d + "' is not a domain name");
            }
        });
    }

    public Optional<String> defaultDomain() { return defaultDomain; }

    PasswordHasher hasher() { return hasher; }

    AccountSource accountSource() { return accounts; }

    SqlPool pool() { return pool; }

    /**
     * The user's password hash, to copy the account into a replicated store
     * ({@link StoreDirectory#copyFrom}); empty when there is no such user or it has no password.
     */
    Optional<String> passwordHash(String name) { return users.passwordHash(name); }

    @Override public User addUser(NewUser spec) { return users.add(spec); }

    @Override public Optional<User> user(String name) { return users.user(name); }

    @Override public List<User> users() { return users.users(); }

    @Override public void setPassword(String name, char[] password) { users.setPassword(name, password); }

    @Override public void setQuota(String name, QuotaLimits quota) { users.setQuota(name, quota); }

    @Override public void setGroup(String name, Optional<String> group) { users.setGroup(name, group); }

    @Override public void setDisabled(String name, boolean disabled) { users.setDisabled(name, disabled); }

    @Override public boolean deleteUser(String name) { return users.delete(name); }

    @Override public void setPrimaryAddress(String name, String address) { addresses.setPrimary(name, address); }

    @Override public void addAlias(String address, String user) { addresses.addAlias(address, user); }

    @Override public boolean removeAddress(String address) { return addresses.remove(address); }

    @Override public List<AddressEntry> addresses(Optional<String> user) { return addresses.list(user); }

    @Override public Login login(String login, char[] password) { return lookups.login(login, password); }

    @Override public Resolution resolve(String address, LocalDomains local) { return lookups.resolve(address, local); }

    @Override public QuotaLimits quota(String user) { return users.user(user).map(User::quota).orElse(QuotaLimits.UNLIMITED); }

    @Override public Placement placement() { return placement; }

    @Override public void close() { pool.close(); }
}
