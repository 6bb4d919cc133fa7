// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The directory's tables and their migrations. Migration n takes the schema from version n-1 to
 * n; the table {@code schema_version} records each one applied. Migrations are only ever
 * appended: a released migration is never edited.
 */
final class Schema {
    private Schema() {}

    static final List<List<String>> MIGRATIONS = List.of(
            // 1: users and their addresses.
            List.of("""
                    CREATE TABLE users (
                        name                TEXT PRIMARY KEY,
                        password_hash       TEXT,
                        quota_storage_bytes INTEGER,
                        quota_messages      INTEGER,
                        group_name          TEXT,
                        created_at          INTEGER NOT NULL,
                        disabled            INTEGER NOT NULL DEFAULT 0
                    ) STRICT""", """
                    CREATE TABLE addresses (
                        address    TEXT PRIMARY KEY,
                        user_name  TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                        is_primary INTEGER NOT NULL DEFAULT 0
                    ) STRICT""",
                    "CREATE INDEX addresses_by_user ON addresses(user_name)",
                    "CREATE UNIQUE INDEX one_primary_address ON addresses(user_name) WHERE is_primary = 1",
                    "CREATE INDEX users_by_group ON users(group_name) WHERE group_name IS NOT NULL"));

    static int latest() {
        return MIGRATIONS.size();
    }

    /** Runs inside the caller's write transaction, so two processes never migrate at once. */
    static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
            int current;
            try (ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                current = r.next() ? r.getInt(1) : 0;
            }
            if (current > latest()) {
                throw new DirectoryException(Reason.UNAVAILABLE, "the directory has schema version " + current
                        + ", newer than this Cairn knows (" + latest() + "): upgrade Cairn");
            }
            for (int version = current + 1; version <= latest(); version++) {
                for (String sql : MIGRATIONS.get(version - 1)) {
                    s.execute(sql);
                }
                s.execute("INSERT INTO schema_version (version, applied_at) VALUES (" + version + ", "
                        + System.currentTimeMillis() + ")");
            }
        }
    }

    static int version(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
            return r.next() ? r.getInt(1) : 0;
        }
    }
}
