// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The cluster's directory in PostgreSQL: every node (and {@code cairn user} on any of them) reads
 * and writes the same accounts, addresses, groups and placement, so a login, a delivery or a
 * promotion finds every account wherever it was added. The tables, statements and rules are
 * those of every {@link SqlDirectory} (SQLite's too); the schema is migrated by Flyway from the
 * same files as SQLite's ({@link Schema}), under Flyway's lock, so nodes started together
 * migrate once. A database that is slow or gone costs a session at most the settings' timeout:
 * then the lookup fails as unavailable (IMAP NO [UNAVAILABLE], LMTP 451 4.3.0), see
 * {@link PostgresPool}.
 */
public final class PostgresDirectory extends SqlDirectory {
    private static final Logger log = LoggerFactory.getLogger(PostgresDirectory.class);

    /**
     * Where the database is.
     *
     * @param url          {@code postgresql://host:port/database} (the JDBC form {@code jdbc:postgresql://...} too)
     * @param user         the database user
     * @param passwordFile a file whose first line is the user's password (never the password in the config)
     * @param poolSize     connections at most, per process
     * @param timeout      the longest a lookup waits for the database (a connection, a statement)
     */
    public record Settings(String url, String user, Path passwordFile, int poolSize, Duration timeout) {
        public static final int DEFAULT_POOL_SIZE = 8;
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
        private static final Duration MIGRATION_SOCKET_TIMEOUT = Duration.ofMinutes(10);

        public Settings {
            if (url == null || !(url.startsWith("postgresql://") || url.startsWith("jdbc:postgresql://"))) {
                throw new IllegalArgumentException("a PostgreSQL url is postgresql://HOST:PORT/DATABASE, not '" + url + "'");
            }
            if (poolSize < 1) throw new IllegalArgumentException("the pool has at least one connection");
            if (timeout.toMillis() < 250) throw new IllegalArgumentException("the timeout is at least 250 ms");
        }

        public Settings(String url, String user, Path passwordFile) {
            this(url, user, passwordFile, DEFAULT_POOL_SIZE, DEFAULT_TIMEOUT);
        }

        String jdbcUrl() { return url.startsWith("jdbc:") ? url : "jdbc:" + url; }

        /**
         * For Flyway's own connections: the connect and login bounded as the pool's are (a node
         * does not hang at start on a database that does not answer), a reply waited for longer
         * (a migration may take a while).
         */
        String migrationUrl() {
            long seconds = Math.max(1, timeout.toSeconds());
            return jdbcUrl() + (url.contains("?") ? "&" : "?") + "connectTimeout=" + seconds + "&loginTimeout=" + (seconds + 2)
                    + "&socketTimeout=" + MIGRATION_SOCKET_TIMEOUT.toSeconds();
        }

        /** The password: the file's first line. */
        String password() {
            if (passwordFile == null) return null;
            try {
                return Files.readString(passwordFile, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            } catch (IOException e) {
                throw new DirectoryException(Reason.UNAVAILABLE, "cannot read the directory's password_file " + passwordFile + ": "
                        + e.getMessage(), e);
            }
        }
    }

    private final Settings settings;

    private PostgresDirectory(Settings settings, PostgresPool pool, Optional<String> defaultDomain, PasswordHasher hasher,
                              PasswordPolicy passwordPolicy) {
        super(pool, defaultDomain, hasher, passwordPolicy);
        this.settings = settings;
    }

    /** Connects, brings the schema up to date (Flyway) and opens the pool. */
    public static PostgresDirectory open(Settings settings, Optional<String> defaultDomain, PasswordHasher hasher,
                                         PasswordPolicy passwordPolicy) {
        checkDefaultDomain(defaultDomain);
        String password = settings.password();
        try {
            migrate(settings, password);
        } catch (RuntimeException e) {
            throw new DirectoryException(Reason.UNAVAILABLE, "cannot open the directory " + settings.url() + ": " + rootMessage(e), e);
        }
        PostgresPool pool;
        try {
            pool = new PostgresPool(settings, password);
        } catch (RuntimeException e) {
            throw new DirectoryException(Reason.UNAVAILABLE, "cannot open the directory " + settings.url() + ": " + rootMessage(e), e);
        }
        return new PostgresDirectory(settings, pool, defaultDomain, hasher, passwordPolicy);
    }

    public static PostgresDirectory open(Settings settings, Optional<String> defaultDomain, PasswordHasher hasher) {
        return open(settings, defaultDomain, hasher, PasswordPolicy.ANY);
    }

    /**
     * Flyway, on connections of its own without the pool's statement timeout (a migration may
     * take longer than a lookup may). A schema newer than this Cairn knows is accepted (Flyway's
     * default): in a cluster upgraded node by node the older nodes run on the newer schema, so a
     * migration only ever adds.
     */
    static MigrateResult migrate(Settings settings, String password) {
        MigrateResult result = Flyway.configure(PostgresDirectory.class.getClassLoader())
                .dataSource(settings.migrationUrl(), settings.user(), password)
                .locations("classpath:" + Schema.LOCATION)
                .placeholders(Schema.Dialect.POSTGRESQL.placeholders)
                .connectRetries(0)
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            log.info("directory: {} migrated to schema version {}", settings.url(), result.targetSchemaVersion);
        }
        return result;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    public Settings settings() { return settings; }

    @Override
    public String toString() {
        return "PostgresDirectory[" + settings.url() + ", defaultDomain=" + defaultDomain() + "]";
    }
}
