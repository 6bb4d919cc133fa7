// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The directory's tables, one schema for SQLite and PostgreSQL: the migrations are SQL files in
 * {@value #LOCATION} named as Flyway names them ({@code V<n>__<what>.sql}); migration n takes the
 * schema from version n-1 to n, and a released one is never edited, only followed by another.
 * The two dialects differ only by the placeholders of {@link Dialect}.
 *
 * <p>PostgreSQL's are run by Flyway ({@link PostgresDirectory}: its history table, its lock
 * against two nodes migrating at once). SQLite's are run here from the same files, recording
 * each in the table {@code schema_version} as Cairn has done since its first directory, inside the
 * caller's {@code BEGIN IMMEDIATE} transaction (so the server and the {@code cairn user} command
 * never migrate one file at once, and existing files open as they are).
 */
final class Schema {
    private Schema() {}

    /** Where the migrations are, for Flyway (its {@code classpath:} form) and for {@link #migrate}. */
    static final String LOCATION = "dev/cairn/directory/migration";

    /** The migrations in order; Flyway finds the same files by scanning {@link #LOCATION} (SchemaTest checks both agree). */
    static final List<String> MIGRATIONS = List.of("V1__users_and_addresses.sql", "V2__placement.sql");

    /**
     * What differs between the databases: a 64-bit integer's type, text that compares and sorts
     * by its bytes (names, addresses: SQLite's TEXT; PostgreSQL's would otherwise follow the
     * database's locale), and SQLite's type-checked tables.
     */
    enum Dialect {
        SQLITE(Map.of("int64", "INTEGER", "key", "TEXT", "strict", " STRICT")),
        POSTGRESQL(Map.of("int64", "BIGINT", "key", "TEXT COLLATE \"C\"", "strict", ""));

        final Map<String, String> placeholders;

        Dialect(Map<String, String> placeholders) { this.placeholders = placeholders; }
    }

    static int latest() {
        return MIGRATIONS.size();
    }

    /** The statements of migration {@code version} (from 1) in the dialect. */
    static List<String> statements(int version, Dialect dialect) {
        String name = MIGRATIONS.get(version - 1);
        String sql;
        try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(LOCATION + "/" + name)) {
            if (in == null) throw new IllegalStateException("migration " + name + " is missing from the classpath");
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Map.Entry<String, String> p : dialect.placeholders.entrySet()) sql = sql.replace("${" + p.getKey() + "}", p.getValue());
        StringBuilder text = new StringBuilder();
        for (String line : sql.split("\n")) if (!line.strip().startsWith("--")) text.append(line).append('\n');
        List<String> statements = new ArrayList<>();
        for (String statement : text.toString().split(";\\s*\n")) if (!statement.isBlank()) statements.add(statement.strip());
        return statements;
    }

    /** SQLite: runs inside the caller's write transaction, so two processes never migrate at once. */
    static void migrate(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
            int current = version(c);
            if (current > latest()) {
                throw new DirectoryException(Reason.UNAVAILABLE, "the directory has schema version " + current
                        + ", newer than this Cairn knows (" + latest() + "): upgrade Cairn");
            }
            for (int version = current + 1; version <= latest(); version++) {
                for (String sql : statements(version, Dialect.SQLITE)) {
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
