// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/** The lookups' queries on the directory's tables (SQLite or PostgreSQL): one indexed query each, in its own read transaction. */
final class SqlAccountSource implements AccountSource {
    private final SqlPool pool;

    SqlAccountSource(SqlPool pool) { this.pool = pool; }

    @Override public Optional<Credentials> byName(String name) {
        return pool.withConnection(c -> credentials(c, "SELECT name, password_hash, disabled FROM users WHERE name = ?", name));
    }

    @Override public Optional<Credentials> byAddress(String address) {
        return pool.withConnection(c -> credentials(c, """
                SELECT u.name, u.password_hash, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name
                WHERE a.address = ?""", address));
    }

    @Override public Optional<Recipient> recipientByAddress(String address, Optional<String> detail) {
        return pool.withConnection(c -> recipient(c, """
                SELECT u.name, u.disabled FROM addresses a JOIN users u ON u.name = a.user_name WHERE a.address = ?""",
                address, detail));
    }

    @Override public Optional<Recipient> recipientByName(String name, Optional<String> detail) {
        return pool.withConnection(c -> recipient(c, "SELECT name, disabled FROM users WHERE name = ?", name, detail));
    }

    @Override public void rehashed(String name, String oldHash, String newHash) {
        // Compare-and-set, so a password changed meanwhile (by `cairn user passwd`) is not overwritten with the old one.
        pool.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?")) {
                s.setString(1, newHash);
                s.setString(2, name);
                s.setString(3, oldHash);
                s.executeUpdate();
            }
            return null;
        });
    }

    private static Optional<Credentials> credentials(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Credentials(r.getString(1), r.getString(2), r.getInt(3) != 0)) : Optional.empty();
            }
        }
    }

    private static Optional<Recipient> recipient(Connection c, String sql, String key, Optional<String> detail) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(new Recipient(r.getString(1), detail, r.getInt(2) != 0)) : Optional.empty();
            }
        }
    }
}
