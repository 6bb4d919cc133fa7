// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The directory's accounts (table {@code users}): adding a user with its primary address,
 * reading users, changing password, quota, group and the disabled mark, deleting a user with its
 * addresses. New passwords meet the policy and are hashed here.
 */
final class SqlUsers {
    private static final Logger log = LoggerFactory.getLogger(SqlUsers.class);
    private static final int MAX_GROUP_LENGTH = 255;

    private final SqlPool pool;
    private final Optional<String> defaultDomain;
    private final PasswordHasher hasher;
    private final PasswordPolicy passwordPolicy;

    SqlUsers(SqlPool pool, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy passwordPolicy) {
        this.pool = pool;
        this.defaultDomain = defaultDomain;
        this.hasher = hasher;
        this.passwordPolicy = passwordPolicy;
    }

    User add(NewUser spec) {
        String name = UserNames.canonical(spec.name());
        Optional<String> group = spec.group().map(SqlUsers::checkGroup);
        String hash = spec.password() == null ? null : hashNew(spec.password());
        Optional<String> primary = spec.primaryAddress().map(Addresses::canonical).or(() -> derivedAddress(name, defaultDomain));
        long now = System.currentTimeMillis();
        pool.inTransaction(c -> {
            if (SqlPool.exists(c, "SELECT 1 FROM users WHERE name = ?", name)) {
                throw new DirectoryException(Reason.USER_EXISTS, "user " + name + " exists");
            }
            if (primary.isPresent()) {
                Optional<String> owner = SqlAddresses.owner(c, primary.get());
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
                SqlAddresses.insert(c, primary.get(), name, true);
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

    /** The primary address of a user added without one: its name when that is an address, else name@default-domain. */
    static Optional<String> derivedAddress(String name, Optional<String> defaultDomain) {
        if (Addresses.problem(name) == null) {
            return Optional.of(Addresses.canonical(name));
        }
        return defaultDomain.map(d -> name + "@" + d).filter(a -> Addresses.problem(a) == null);
    }

    static String checkGroup(String group) {
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

    Optional<User> user(String name) {
        if (!UserNames.isValid(name)) {
            return Optional.empty();
        }
        String canonical = UserNames.normalize(name);
        return pool.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(USER_COLUMNS + " WHERE u.name = ?")) {
                s.setString(1, canonical);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(readUser(r)) : Optional.empty();
                }
            }
        });
    }

    List<User> users() {
        return pool.withConnection(c -> {
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
                r.getBoolean(8));
    }

    /** The stored hash (empty also for an account without password). */
    Optional<String> passwordHash(String name) {
        if (!UserNames.isValid(name)) return Optional.empty();
        return pool.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT password_hash FROM users WHERE name = ?")) {
                s.setString(1, UserNames.normalize(name));
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    void setPassword(String name, char[] password) {
        String hash = password == null ? null : hashNew(password);
        updateUser(name, "UPDATE users SET password_hash = ? WHERE name = ?", hash);
        log.info("directory: {} password of user {}", hash == null ? "removed" : "changed", UserNames.normalize(name));
    }

    void setQuota(String name, QuotaLimits quota) {
        String canonical = UserNames.canonical(name);
        pool.inTransaction(c -> {
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

    void setGroup(String name, Optional<String> group) {
        updateUser(name, "UPDATE users SET group_name = ? WHERE name = ?", group.map(SqlUsers::checkGroup).orElse(null));
    }

    void setDisabled(String name, boolean disabled) {
        updateUser(name, "UPDATE users SET disabled = ? WHERE name = ?", disabled ? 1 : 0);
        log.info("directory: user {} {}", UserNames.normalize(name), disabled ? "disabled" : "enabled");
    }

    private void updateUser(String name, String sql, Object value) {
        String canonical = UserNames.canonical(name);
        pool.inTransaction(c -> {
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

    boolean delete(String name) {
        if (!UserNames.isValid(name)) {
            return false;
        }
        String canonical = UserNames.normalize(name);
        boolean deleted = pool.inTransaction(c -> {
            SqlPool.execute(c, "DELETE FROM addresses WHERE user_name = ?", canonical);
            return SqlPool.execute(c, "DELETE FROM users WHERE name = ?", canonical) > 0;
        });
        if (deleted) {
            log.info("directory: deleted user {}", canonical);
        }
        return deleted;
    }

    static DirectoryException noSuchUser(String name) {
        return new DirectoryException(Reason.NO_SUCH_USER, "no user " + name);
    }
}
