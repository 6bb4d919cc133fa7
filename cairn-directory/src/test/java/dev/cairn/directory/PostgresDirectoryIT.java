// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import dev.cairn.testkit.PostgresServer;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.cairn.directory.PasswordHasherTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The directory contract on a real PostgreSQL ({@link PostgresServer}: the Debian package
 * postgresql; without it these tests fail), each test on databases of its own; and what only the
 * cluster's database has: Flyway's migrations of an empty database (and a second run that does
 * nothing), one schema with SQLite's, and a database that dies or hangs costing a lookup at most
 * the timeout, as a temporary failure.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PostgresDirectoryIT extends DirectoryContractTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final AtomicInteger tests = new AtomicInteger();
    private static PostgresServer server;

    private final String prefix = "t" + tests.incrementAndGet();
    private final Set<String> created = new HashSet<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = PostgresServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) server.close();
    }

    private PostgresDirectory.Settings settings(PostgresServer on, String database) throws Exception {
        return new PostgresDirectory.Settings(on.jdbcUrl(database), PostgresServer.USER,
                on.writePasswordFile(dir.resolve("password-" + on.port())), 4, TIMEOUT);
    }

    @Override
    SqlDirectory open(String name, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy policy) {
        String database = prefix + "_" + name;
        try {
            if (created.add(database)) server.createDatabase(database);
            return PostgresDirectory.open(settings(server, database), defaultDomain, hasher, policy);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void migratesAnEmptyDatabaseAndASecondRunChangesNothing() throws Exception {
        server.createDatabase(prefix + "_empty");
        PostgresDirectory.Settings settings = settings(server, prefix + "_empty");
        assertThat(PostgresDirectory.migrate(settings, server.password()).migrationsExecuted).isEqualTo(Schema.latest());
        assertThat(PostgresDirectory.migrate(settings, server.password()).migrationsExecuted).isZero();
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), PostgresServer.USER, server.password());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*), max(version::int) FROM flyway_schema_history WHERE success")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getInt(1)).isEqualTo(Schema.latest());
            assertThat(r.getInt(2)).isEqualTo(Schema.latest());
        }
    }

    /** Flyway scans the folder; SQLite's runner has the list: both must name the same migrations. */
    @Test
    void flywayFindsTheMigrationsTheSchemaLists() {
        MigrationInfo[] found = Flyway.configure(getClass().getClassLoader())
                .dataSource(server.jdbcUrl(), PostgresServer.USER, server.password())
                .locations("classpath:" + Schema.LOCATION).placeholders(Schema.Dialect.POSTGRESQL.placeholders)
                .load().info().all();
        assertThat(Arrays.stream(found).map(i -> i.getScript()).toList()).isEqualTo(Schema.MIGRATIONS);
    }

    /** Tables, columns (types mapped), nullability and indexes: the same in SQLite and PostgreSQL. */
    @Test
    void theSchemaIsTheSameAsSqlites() throws Exception {
        Set<String> sqlite = new TreeSet<>(), postgres = new TreeSet<>();
        Path file = dir.resolve("parity.db");
        SqliteDirectory.open(file, Optional.empty(), FAST).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            Set<String> tables = new TreeSet<>();
            try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_version'")) {
                while (r.next()) tables.add(r.getString(1));
            }
            for (String t : tables) {
                try (ResultSet r = s.executeQuery("PRAGMA table_info(" + t + ")")) {
                    while (r.next()) {
                        boolean nullable = r.getInt("notnull") == 0 && r.getInt("pk") == 0;
                        sqlite.add(t + "." + r.getString("name") + " " + r.getString("type").toLowerCase() + (nullable ? " null" : ""));
                    }
                }
            }
            try (ResultSet r = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")) {
                while (r.next()) sqlite.add("index " + r.getString(1));
            }
        }
        try (Connection c = DriverManager.getConnection(server.jdbcUrl(prefix + "_directory"), PostgresServer.USER,
                server.password()); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("""
                    SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
                    WHERE table_schema = 'public' AND table_name <> 'flyway_schema_history'""")) {
                while (r.next()) {
                    // SQLite's INTEGER holds 64 bits: PostgreSQL's integer and bigint are both that column.
                    String type = switch (r.getString(3)) {
                        case "bigint", "integer" -> "integer";
                        default -> r.getString(3);
                    };
                    postgres.add(r.getString(1) + "." + r.getString(2) + " " + type + (r.getString(4).equals("YES") ? " null" : ""));
                }
            }
            try (ResultSet r = s.executeQuery("""
                    SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey'
                    AND tablename <> 'flyway_schema_history'""")) {
                while (r.next()) postgres.add("index " + r.getString(1));
            }
        }
        assertThat(sqlite).contains("users.store text null", "group_stores.store text", "index users_by_store");
        assertThat(postgres).isEqualTo(sqlite);
    }

    /** The database killed (SIGKILL): a login and a delivery's lookup fail as unavailable, within the timeout. */
    @Test
    void aDeadDatabaseIsATemporaryFailureWithinTheTimeout() throws Exception {
        try (PostgresServer own = PostgresServer.start()) {
            own.createDatabase("directory");
            try (PostgresDirectory d = PostgresDirectory.open(settings(own, "directory"), Optional.of("example.org"), FAST)) {
                d.addUser(NewUser.of("alice", pw("secret")));
                assertThat(d.authenticate("alice", pw("secret"))).contains("alice");
                own.kill();
                assertUnavailableWithin(TIMEOUT.plusSeconds(2), () -> d.login("alice", pw("secret")));
                assertUnavailableWithin(TIMEOUT.plusSeconds(2), () -> d.resolve("alice@example.org"));
            }
        }
    }

    /**
     * The database stopped (SIGSTOP) with the pool's connections open: no answer ever comes, and
     * still a lookup fails as unavailable within the driver's socket timeout (the timeout + 2 s).
     * Resumed, the directory answers again.
     */
    @Test
    void aHangingDatabaseIsATemporaryFailureWithinTheTimeout() throws Exception {
        PostgresDirectory d = (PostgresDirectory) directory;
        d.addUser(NewUser.of("alice", pw("secret")));
        server.freeze(true);
        try {
            assertUnavailableWithin(TIMEOUT.plusSeconds(4), () -> d.login("alice", pw("secret")));
            assertUnavailableWithin(TIMEOUT.plusSeconds(4), () -> d.resolve("alice@example.org"));
        } finally {
            server.freeze(false);
        }
        dev.cairn.testkit.Eventually.eventually(Duration.ofSeconds(30),
                () -> assertThat(d.authenticate("alice", pw("secret"))).contains("alice"));
    }

    private static void assertUnavailableWithin(Duration limit, Runnable lookup) {
        long start = System.nanoTime();
        Reason reason = reasonOf(lookup);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(reason).isEqualTo(Reason.UNAVAILABLE);
        assertThat(took).as("the lookup took " + took).isLessThan(limit);
    }
}
