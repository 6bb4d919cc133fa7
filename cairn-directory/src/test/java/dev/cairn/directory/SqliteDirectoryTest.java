// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;

import static dev.cairn.directory.PasswordHasherTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The directory contract on SQLite, and what only a file has: WAL, its permissions, its own schema versions. */
class SqliteDirectoryTest extends DirectoryContractTest {
    Path file;

    @Override
    SqlDirectory open(String name, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy policy) {
        Path f = dir.resolve(name + ".db");
        if (name.equals("directory")) file = f;
        return SqliteDirectory.open(f, defaultDomain, hasher, policy);
    }

    @Test
    void survivesReopenAndRunsInWalMode() throws Exception {
        directory.addUser(NewUser.of("alice", pw("x")));
        directory.close();
        directory = open("directory", Optional.of("example.org"));
        assertThat(directory.user("alice")).isPresent();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("PRAGMA journal_mode")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getString(1)).isEqualToIgnoringCase("wal");
            }
            assertThat(Schema.version(c)).isEqualTo(Schema.latest());
        }
    }

    @Test
    void databaseIsReadableByItsOwnerOnly() throws Exception {
        directory.addUser(NewUser.of("alice", pw("x")));
        assertThat(java.nio.file.Files.getPosixFilePermissions(file))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path wal = dir.resolve("directory.db-wal");
        if (java.nio.file.Files.exists(wal)) {
            assertThat(java.nio.file.Files.getPosixFilePermissions(wal))
                    .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void refusesSchemaNewerThanItKnows() throws Exception {
        directory.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement s = c.createStatement()) {
            s.execute("INSERT INTO schema_version VALUES (" + (Schema.latest() + 1) + ", 0)");
        }
        assertThatThrownBy(() -> SqliteDirectory.open(file, Optional.empty(), FAST))
                .isInstanceOfSatisfying(DirectoryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("newer");
                });
        directory = SqliteDirectory.open(dir.resolve("fresh.db"), Optional.empty(), FAST);
    }

    @Test
    void refusesBadDefaultDomain() {
        assertThatThrownBy(() -> SqliteDirectory.open(dir.resolve("x.db"), Optional.of("not a domain"), FAST))
                .isInstanceOf(DirectoryException.class);
    }

    /**
     * A file made by Cairn before placement (schema version 1, the tables as the first migration
     * made them) opens with its accounts as they were and gains the placement tables.
     */
    @Test
    void aFileOfSchemaVersionOneOpensWithItsAccountsAndGainsPlacement() throws Exception {
        directory.close();
        Path old = dir.resolve("old.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old);
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT");
            s.execute("""
                    CREATE TABLE users (
                        name                TEXT PRIMARY KEY,
                        password_hash       TEXT,
                        quota_storage_bytes INTEGER,
                        quota_messages      INTEGER,
                        group_name          TEXT,
                        created_at          INTEGER NOT NULL,
                        disabled            INTEGER NOT NULL DEFAULT 0
                    ) STRICT""");
            s.execute("""
                    CREATE TABLE addresses (
                        address    TEXT PRIMARY KEY,
                        user_name  TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
                        is_primary INTEGER NOT NULL DEFAULT 0
                    ) STRICT""");
            s.execute("CREATE INDEX addresses_by_user ON addresses(user_name)");
            s.execute("CREATE UNIQUE INDEX one_primary_address ON addresses(user_name) WHERE is_primary = 1");
            s.execute("CREATE INDEX users_by_group ON users(group_name) WHERE group_name IS NOT NULL");
            s.execute("INSERT INTO schema_version VALUES (1, 0)");
            s.execute("INSERT INTO users VALUES ('alice', NULL, 1000, NULL, 'sales', 5, 0)");
            s.execute("INSERT INTO addresses VALUES ('alice@example.org', 'alice', 1)");
        }
        directory = SqliteDirectory.open(old, Optional.of("example.org"), FAST);
        User alice = directory.user("alice").orElseThrow();
        assertThat(alice.primaryAddress()).contains("alice@example.org");
        assertThat(alice.quota()).isEqualTo(new QuotaLimits(1000, QuotaLimits.NONE));
        assertThat(alice.group()).contains("sales");
        assertThat(directory.placement().storeOf("alice")).isEmpty();
        assertThat(directory.placement().place("alice", Optional.empty(), "s1")).isTrue();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old)) {
            assertThat(Schema.version(c)).isEqualTo(Schema.latest());
        }
    }

    private String storedHashInFile(String user) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             var s = c.prepareStatement("SELECT password_hash FROM users WHERE name = ?")) {
            s.setString(1, user);
            try (ResultSet r = s.executeQuery()) {
                assertThat(r.next()).isTrue();
                return r.getString(1);
            }
        }
    }

    @Test
    void theHashIsTheOneInTheFile() throws Exception {
        directory.addUser(NewUser.of("alice", pw("secret")));
        assertThat(storedHashInFile("alice")).isEqualTo(storedHash("alice")).startsWith("$argon2id$");
    }
}
