// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The directory in an embedded SQLite database (one file in the node's data directory).
 *
 * <p>The database runs in WAL mode with a busy timeout, so the {@code cairn user} command (another
 * process) can write while the server reads. Nothing is cached: every lookup is one indexed
 * query in its own read transaction, so a password change or a new alias applies to the next
 * login or delivery. Writes run in {@code BEGIN IMMEDIATE} transactions, which take the write
 * lock up front, so checks and the changes they guard cannot interleave with another writer.
 * This class opens the file and answers the {@link Directory} interface; the work is done by
 * {@link SqlitePool} (connections, transactions), {@link SqliteUsers}, {@link SqliteAddresses}
 * and {@link Lookups} (login, recipients) on {@link SqliteAccountSource}.
 */
public final class SqliteDirectory implements Directory {
    private final Path file;
    private final Optional<String> defaultDomain;
    private final SqlitePool pool;
    private final SqliteUsers users;
    private final SqliteAddresses addresses;
    private final Lookups lookups;
    private final PasswordHasher hasher;
    private final SqliteAccountSource accounts;

    private SqliteDirectory(Path file, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy passwordPolicy) {
        this.file = file;
        this.defaultDomain = defaultDomain.map(Addresses::domain);
        this.pool = new SqlitePool(file);
        this.users = new SqliteUsers(pool, this.defaultDomain, hasher, passwordPolicy);
        this.addresses = new SqliteAddresses(pool);
        this.hasher = hasher;
        this.accounts = new SqliteAccountSource(pool);
        this.lookups = new Lookups(accounts, this.defaultDomain, hasher, VerifiedPasswords.standard());
    }

    /**
     * Opens (creating if needed) the directory database and brings its schema up to date.
     *
     * @param defaultDomain  the domain of addresses given without one, and of users' derived
     *                       primary addresses
     * @param passwordPolicy what a password set through this directory must be
     */
    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordHasher hasher,
                                       PasswordPolicy passwordPolicy) {
        defaultDomain.ifPresent(d -> {
            if (Addresses.problem("postmaster@" + d) != null) {
                throw new DirectoryException(Reason.INVALID_ADDRESS, "'" + d + "' is not a domain name");
            }
        });
        SqliteDirectory directory = new SqliteDirectory(file.toAbsolutePath(), defaultDomain, hasher, passwordPolicy);
        try {
            directory.pool.open();
            directory.pool.inTransaction(c -> {
                Schema.migrate(c);
                return null;
            });
        } catch (Exception e) {
            directory.close();
            if (e instanceof DirectoryException de) {
                throw de;
            }
            throw new DirectoryException(Reason.UNAVAILABLE, "cannot open the directory " + file + ": " + why(e), e);
        }
        return directory;
    }

    /** An I/O failure in words: the JDK's messages of file errors are only the file's name. */
    private static String why(Exception e) {
        return switch (e) {
            case java.nio.file.AccessDeniedException denied -> denied.getFile() + ": permission denied";
            case java.nio.file.NoSuchFileException missing -> missing.getFile() + ": no such file or directory";
            case java.nio.file.FileSystemException fs when fs.getReason() != null -> fs.getFile() + ": " + fs.getReason();
            default -> e.getMessage();
        };
    }

    /** Without a password policy beyond "not empty" (programs and tests that set passwords themselves). */
    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordHasher hasher) {
        return open(file, defaultDomain, hasher, PasswordPolicy.ANY);
    }

    public static SqliteDirectory open(Path file, Optional<String> defaultDomain) {
        return open(file, defaultDomain, new PasswordHasher());
    }

    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordPolicy passwordPolicy) {
        return open(file, defaultDomain, new PasswordHasher(), passwordPolicy);
    }

    public Path file() { return file; }

    public Optional<String> defaultDomain() { return defaultDomain; }

    PasswordHasher hasher() { return hasher; }

    AccountSource accountSource() { return accounts; }

    /**
     * The user's account with its password hash, to copy it into a replicated store
     * ({@link StoreDirectory#copyFrom}); empty when there is no such user.
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

    @Override public void close() { pool.close(); }

    @Override
    public String toString() {
        return "SqliteDirectory[" + file + ", defaultDomain=" + defaultDomain + "]";
    }
}
