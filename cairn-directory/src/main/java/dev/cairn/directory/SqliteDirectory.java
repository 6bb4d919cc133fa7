// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The directory in an embedded SQLite database (one file in the node's data directory).
 *
 * <p>The database runs in WAL mode with a busy timeout, so the {@code cairn user} command (another
 * process) can write while the server reads. Nothing is cached: every lookup is one indexed
 * query in its own read transaction, so a password change or a new alias applies to the next
 * login or delivery. Writes run in {@code BEGIN IMMEDIATE} transactions, which take the write
 * lock up front, so checks and the changes they guard cannot interleave with another writer.
 */
public final class SqliteDirectory implements Directory {
    private static final Logger log = LoggerFactory.getLogger(SqliteDirectory.class);
    private static final int POOL_SIZE = 4;
    private static final int BUSY_TIMEOUT_MS = 5_000;
    private static final int MAX_GROUP_LENGTH = 255;

    private final Path file;
    private final Optional<String> defaultDomain;
    private final PasswordHasher hasher;
    private final PasswordPolicy passwordPolicy;
    /** Successful verifications remembered for 10 minutes: repeated logins skip Argon2id. */
    private final VerifiedPasswords verified = new VerifiedPasswords(100_000, Duration.ofMinutes(10), Clock.systemUTC());
    private final BlockingQueue<Connection> pool = new ArrayBlockingQueue<>(POOL_SIZE);
    private final List<Connection> all = new ArrayList<>();
    private volatile boolean closed;

    private SqliteDirectory(Path file, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy passwordPolicy) {
        this.file = file;
        this.defaultDomain = defaultDomain.map(Addresses::domain);
        this.hasher = hasher;
        this.passwordPolicy = passwordPolicy;
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
            Path parent = directory.file.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            createOwnerOnly(directory.file);
            for (int i = 0; i < POOL_SIZE; i++) {
                Connection c = directory.connect();
                directory.all.add(c);
                directory.pool.add(c);
            }
            directory.inTransaction(c -> {
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

    /**
     * The database holds password hashes: it is created readable by its owner only, and SQLite
     * gives its -wal and -shm files the same permissions.
     */
    private static void createOwnerOnly(Path file) throws java.io.IOException {
        if (Files.exists(file)) {
            return;
        }
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        } catch (java.nio.file.FileAlreadyExistsException createdMeanwhile) {
            // Another process (the CLI or the server) made it first.
        }
    }

    public Path file() { return file; }

    public Optional<String> defaultDomain() { return defaultDomain; }

    private Connection connect() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        config.enforceForeignKeys(true);
        // Account changes are rare and must survive a power cut once the command said "added".
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        return config.createConnection("jdbc:sqlite:" + file);
    }

    // ---- users ---------------------------------------------------------------------------

    @Override
    public User addUser(NewUser spec) {
        String name = UserNames.canonical(spec.name());
        Optional<String> group = spec.group().map(SqliteDirectory::checkGroup);
        String hash = spec.password() == null ? null : hashNew(spec.password());
        Optional<String> primary = spec.primaryAddress().map(Addresses::canonical).or(() -> derivedAddress(name));
        long now = System.currentTimeMillis();
        inTransaction(c -> {
            if (exists(c, "SELECT 1 FROM users WHERE name = ?", name)) {
                throw new DirectoryException(Reason.USER_EXISTS, "user " + name + " exists");
            }
            if (primary.isPresent()) {
                Optional<String> owner = addressOwner(c, primary.get());
                if (owner.isPresent()) {
                    throw new DirectoryException(Reason.ADDRESS_TAKEN,
                            "address " + primary.get() + " belongs to user " + owner.get());
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO users (name, password_hash, quota_storage_bytes, quota_messages, group_name, created_at, disabled)
                    VALUES (?, ?, ?, ?, ?, ?, 0)""")) {
                s.setString(1, name);
                s.setString(2, hash);
                setLimit(s, 3, spec.quota().storageBytes());
                setLimit(s, 4, spec.quota().messages());
                s.setString(5, group.orElse(null));
                s.setLong(6, now);
                s.executeUpdate();
            }
            if (primary.isPresent()) {
                insertAddress(c, primary.get(), name, true);
            }
            return null;
        });
        log.info("directory: added user {}{}", name, primary.map(a -> " <" + a + ">").orElse(""));
        return user(name).orElseThrow();
    }

    private String hashNew(char[] password) {
        passwordPolicy.check(password);
        return hasher.hash(password);
    }

    private Optional<String> derivedAddress(String name) {
        if (Addresses.problem(name) == null) {
            return Optional.of(Addresses.canonical(name));
        }
        return defaultDomain.map(d -> name + "@" + d).filter(a -> Addresses.problem(a) == null);
    }

    private static String checkGroup(String group) {
        if (group.isEmpty() || group.length() > MAX_GROUP_LENGTH || group.chars().anyMatch(Character::isISOControl)) {
            throw new DirectoryException(Reason.INVALID_ARGUMENT,
                    "a group name is 1 to " + MAX_GROUP_LENGTH + " characters without control characters");
        }
        return group;
    }

    private static void setLimit(PreparedStatement s, int index, long limit) throws SQLException {
        if (limit == QuotaLimits.NONE) {
            s.setNull(index, java.sql.Types.INTEGER);
        } else {
            s.setLong(index, limit);
        }
    }

    private static final String USER_COLUMNS = """
            SELECT u.name, a.address, u.quota_storage_bytes, u.quota_messages, u.group_name, u.created_at,
                   u.disabled, u.password_hash IS NOT NULL
            FROM users u LEFT JOIN addresses a ON a.user_name = u.name AND a.is_primary = 1
            """;

    @Override
    public Optional<User> user(String name) {
        if (!UserNames.isValid(name)) {
            return Optional.empty();
        }
        String canonical = UserNames.normalize(name);
        return withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(USER_COLUMNS + " WHERE u.name = ?")) {
                s.setString(1, canonical);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(readUser(r)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public List<User> users() {
        return withConnection(c -> {
            List<User> users = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(USER_COLUMNS + " ORDER BY u.name");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    users.add(readUser(r));
                }
            }
            return users;
        });
    }

    private static User readUser(ResultSet r) throws SQLException {
        long storage = r.getLong(3);
        storage = r.wasNull() ? QuotaLimits.NONE : storage;
        long messages = r.getLong(4);
        messages = r.wasNull() ? QuotaLimits.NONE : messages;
        return new User(r.getString(1), Optional.ofNullable(r.getString(2)), new QuotaLimits(storage, messages),
                Optional.ofNullable(r.getString(5)), Instant.ofEpochMilli(r.getLong(6)), r.getInt(7) != 0,
                r.getInt(8) != 0);
    }

    @Override
    public void setPassword(String name, char[] password) {
        String hash = password == null ? null : hashNew(password);
        updateUser(name, "UPDATE users SET password_hash = ? WHERE name = ?", hash);
        log.info("directory: {} password of user {}", hash == null ? "removed" : "changed", UserNames.normalize(name));
    }

    @Override
    public void setQuota(String name, QuotaLimits quota) {
        String canonical = UserNames.canonical(name);
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE users SET quota_storage_bytes = ?, quota_messages = ? WHERE name = ?")) {
                setLimit(s, 1, quota.storageBytes());
                setLimit(s, 2, quota.messages());
                s.setString(3, canonical);
                if (s.executeUpdate() == 0) {
                    throw noSuchUser(canonical);
                }
            }
            return null;
        });
    }

    @Override
    public void setGroup(String name, Optional<String> group) {
        updateUser(name, "UPDATE users SET group_name = ? WHERE name = ?", group.map(SqliteDirectory::checkGroup).orElse(null));
    }

    @Override
    public void setDisabled(String name, boolean disabled) {
        updateUser(name, "UPDATE users SET disabled = ? WHERE name = ?", disabled ? 1 : 0);
        log.info("directory: user {} {}", UserNames.normalize(name), disabled ? "disabled" : "enabled");
    }

    private void updateUser(String name, String sql, Object value) {
        String canonical = UserNames.canonical(name);
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setObject(1, value);
                s.setString(2, canonical);
                if (s.executeUpdate() == 0) {
                    throw noSuchUser(canonical);
                }
            }
            return null;
        });
    }

    @Override
    public void setPrimaryAddress(String name, String address) {
        String canonical = UserNames.canonical(name);
        String addr = Addresses.canonical(address);
        inTransaction(c -> {
            if (!exists(c, "SELECT 1 FROM users WHERE name = ?", canonical)) {
                throw noSuchUser(canonical);
            }
            Optional<String> owner = addressOwner(c, addr);
            if (owner.isPresent() && !owner.get().equals(canonical)) {
                throw new DirectoryException(Reason.ADDRESS_TAKEN, "address " + addr + " belongs to user " + owner.get());
            }
            execute(c, "UPDATE addresses SET is_primary = 0 WHERE user_name = ?", canonical);
            if (owner.isPresent()) {
                execute(c, "UPDATE addresses SET is_primary = 1 WHERE address = ?", addr);
            } else {
                insertAddress(c, addr, canonical, true);
            }
            return null;
        });
    }

    @Override
    public boolean deleteUser(String name) {
        if (!UserNames.isValid(name)) {
            return false;
        }
        String canonical = UserNames.normalize(name);
        boolean deleted = inTransaction(c -> {
            execute(c, "DELETE FROM addresses WHERE user_name = ?", canonical);
            return execute(c, "DELETE FROM users WHERE name = ?", canonical) > 0;
        });
        if (deleted) {
            log.info("directory: deleted user {}", canonical);
        }
        return deleted;
    }

    // ---- addresses -----------------------------------------------------------------------

    @Override
    public void addAlias(String address, String user) {
        String addr = Addresses.canonical(address);
        String canonical = UserNames.canonical(user);
        inTransaction(c -> {
            if (!exists(c, "SELECT 1 FROM users WHERE name = ?", canonical)) {
                throw noSuchUser(canonical);
            }
            Optional<String> owner = addressOwner(c, addr);
            if (owner.isPresent()) {
                throw new DirectoryException(Reason.ADDRESS_TAKEN, "address " + addr + " belongs to user " + owner.get());
            }
            insertAddress(c, addr, canonical, false);
            return null;
        });
        log.info("directory: alias {} -> {}", addr, canonical);
    }

    @Override
    public boolean removeAddress(String address) {
        Optional<Addresses.Parsed> parsed = Addresses.parse(address);
        if (parsed.isEmpty()) {
            return false;
        }
        return inTransaction(c -> execute(c, "DELETE FROM addresses WHERE address = ?", parsed.get().address()) > 0);
    }

    @Override
    public List<AddressEntry> addresses(Optional<String> user) {
        Optional<String> canonical = user.map(UserNames::canonical);
        return withConnection(c -> {
            String sql = "SELECT address, user_name, is_primary FROM addresses"
                    + (canonical.isPresent() ? " WHERE user_name = ?" : "") + " ORDER BY user_name, is_primary DESC, address";
            List<AddressEntry> entries = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                if (canonical.isPresent()) {
                    s.setString(1, canonical.get());
                }
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        entries.add(new AddressEntry(r.getString(1), r.getString(2), r.getInt(3) != 0));
                    }
                }
            }
            return entries;
        });
    }

    private static void insertAddress(Connection c, String address, String user, boolean primary) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO addresses (address, user_name, is_primary) VALUES (?, ?, ?)")) {
            s.setString(1, address);
            s.setString(2, user);
            s.setInt(3, primary ? 1 : 0);
            s.executeUpdate();
        }
    }

    private static Optional<String> addressOwner(Connection c, String address) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT user_name FROM addresses WHERE address = ?")) {
            s.setString(1, address);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
            }
        }
    }

    // ---- lookups -------------------------------------------------------------------------

    private record Credentials(String name, String hash, boolean disabled) {}

    @Override
    public Login login(String login, char[] password) {
        Optional<Credentials> found = Optional.empty();
        if (login != null && login.length() <= 2 * Addresses.MAX_ADDRESS) {
            found = withConnection(c -> {
                if (UserNames.isValid(login)) {
                    Optional<Credentials> byName = credentials(c,
                            "SELECT name, password_hash, disabled FROM users WHERE name = ?", UserNames.normalize(login));
                    if (byName.isPresent()) {
                        return byName;
                    }
                }
                Optional<Addresses.Parsed> address = Addresses.parse(login);
                if (address.isPresent()) {
                    return credentials(c, """
                            SELECT u.name, u.password_hash, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name
                            WHERE a.address = ?""", address.get().address());
                }
                return Optional.empty();
            });
        }
        // Always one hash: an unknown login, a user without password and a disabled user all
        // take as long as a wrong password for a real user (no user enumeration by timing).
        String hash = found.map(Credentials::hash).orElse(null);
        boolean match = verified.matches(hash, password) || hasher.verify(password, hash);
        if (!match) {
            return Login.INVALID;
        }
        verified.remember(hash, password);
        String name = found.get().name();
        if (found.get().disabled()) {
            return new Login(Login.Outcome.DISABLED, Optional.of(name));
        }
        if (hasher.needsRehash(hash)) {
            // Raised parameters apply at the next successful login; compare-and-set so a password
            // changed meanwhile (by `cairn user passwd`) is not overwritten with the old one.
            String upgraded = hasher.hash(password);
            inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?")) {
                    s.setString(1, upgraded);
                    s.setString(2, name);
                    s.setString(3, hash);
                    s.executeUpdate();
                }
                return null;
            });
        }
        return new Login(Login.Outcome.SUCCESS, Optional.of(name));
    }

    private static Optional<Credentials> credentials(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Credentials(r.getString(1), r.getString(2), r.getInt(3) != 0)) : Optional.empty();
            }
        }
    }

    @Override
    public Resolution resolve(String address, LocalDomains local) {
        if (address == null || address.isEmpty()) {
            return new Resolution.Unknown("an empty address");
        }
        if (address.length() > 2 * Addresses.MAX_ADDRESS) {
            return new Resolution.Unknown("an address is at most " + Addresses.MAX_ADDRESS + " octets");
        }
        boolean bare = address.indexOf('@') < 0;
        if (bare && !local.bareNames()) {
            return new Resolution.Unknown("a recipient needs a domain here (bare user names are off)");
        }
        // A bare name is checked as a local part; with a default domain it is also an address there.
        String full = bare ? address + "@" + defaultDomain.orElse("localhost") : address;
        String problem = Addresses.problem(full);
        if (problem != null) {
            return new Resolution.Unknown(problem);
        }
        Addresses.Parsed parsed = Addresses.parse(full).orElseThrow();
        Optional<Addresses.Parsed> base = parsed.withoutDetail();
        Optional<String> detail = parsed.detail().filter(d -> !d.isEmpty());
        boolean byAddress = !bare || defaultDomain.isPresent();
        boolean byName = bare || defaultDomain.filter(parsed.domain()::equals).isPresent() || local.contains(parsed.domain());
        Optional<Recipient> found = withConnection(c -> {
            String addressQuery = """
                    SELECT u.name, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name WHERE a.address = ?""";
            String nameQuery = "SELECT name, disabled FROM users WHERE name = ?";
            Optional<Recipient> r = Optional.empty();
            if (byAddress) {
                r = recipient(c, addressQuery, parsed.address(), Optional.empty());
                if (r.isEmpty() && base.isPresent()) {
                    r = recipient(c, addressQuery, base.get().address(), detail);
                }
            }
            if (r.isEmpty() && byName) {
                r = recipient(c, nameQuery, parsed.local(), Optional.empty());
                if (r.isEmpty() && base.isPresent()) {
                    r = recipient(c, nameQuery, base.get().local(), detail);
                }
            }
            return r;
        });
        if (found.isPresent()) {
            return new Resolution.Found(found.get());
        }
        String user = base.orElse(parsed).local();
        if (bare) {
            return new Resolution.Unknown("no user " + user + (byAddress ? " and no address " + parsed.address() : ""));
        }
        if (byName) {
            return new Resolution.Unknown("no address " + parsed.address() + " and no user " + user);
        }
        return new Resolution.Unknown("no address " + parsed.address() + ", and " + parsed.domain()
                + " is not a local domain (where user names are addresses)");
    }

    private static Optional<Recipient> recipient(Connection c, String sql, String key, Optional<String> detail) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Recipient(r.getString(1), detail, r.getInt(2) != 0)) : Optional.empty();
            }
        }
    }

    @Override
    public QuotaLimits quota(String user) {
        return user(user).map(User::quota).orElse(QuotaLimits.UNLIMITED);
    }

    // ---- plumbing ------------------------------------------------------------------------

    private static DirectoryException noSuchUser(String name) {
        return new DirectoryException(Reason.NO_SUCH_USER, "no user " + name);
    }

    private static boolean exists(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    private static int execute(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T withConnection(SqlWork<T> work) {
        if (closed) {
            throw new DirectoryException(Reason.UNAVAILABLE, "the directory is closed");
        }
        Connection c;
        try {
            c = pool.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectoryException(Reason.UNAVAILABLE, "interrupted", e);
        }
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw new DirectoryException(Reason.UNAVAILABLE, "directory " + file + ": " + e.getMessage(), e);
        } finally {
            pool.add(c);
        }
    }

    private <T> T inTransaction(SqlWork<T> work) {
        return withConnection(c -> {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException e) {
                log.warn("directory: closing {}: {}", file, e.getMessage());
            }
        }
        all.clear();
    }

    @Override
    public String toString() {
        return "SqliteDirectory[" + file + ", defaultDomain=" + defaultDomain + "]";
    }
}
