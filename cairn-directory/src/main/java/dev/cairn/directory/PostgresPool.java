// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The cluster directory's connections to PostgreSQL: a bounded HikariCP pool. Every wait is
 * bounded by the settings' timeout, so a slow or dead database answers a login or a delivery
 * with a temporary failure within seconds instead of holding the session: waiting for a
 * connection (the pool's connection timeout), opening one (the driver's connect and login
 * timeouts), a statement on the server ({@code statement_timeout}) and a reply that never comes
 * (the driver's socket timeout, a little longer than the statement timeout).
 */
final class PostgresPool extends SqlPool {
    /**
     * Directory writes of every node take this transaction-level advisory lock first: the cluster's
     * "BEGIN IMMEDIATE". Account changes are rare; serialising them keeps each check and the
     * change it guards together (an address free when checked is still free when inserted).
     */
    static final long WRITE_LOCK = 0x636169726e646972L; // "cairndir"

    private final String url;
    private final HikariDataSource pool;

    PostgresPool(PostgresDirectory.Settings settings, String password) {
        this.url = settings.url();
        Duration timeout = settings.timeout();
        long seconds = Math.max(1, timeout.toSeconds());
        HikariConfig config = new HikariConfig();
        config.setPoolName("cairn-directory");
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        config.setPassword(password);
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(Math.min(2, settings.poolSize()));
        config.setConnectionTimeout(timeout.toMillis());
        config.setValidationTimeout(Math.max(250, timeout.toMillis() / 3));
        // Fail at once when the database cannot be reached at start: the node says why and stops.
        config.setInitializationFailTimeout(timeout.toMillis());
        // Strings: the driver reads these with Properties.getProperty, which ignores any other type.
        config.addDataSourceProperty("connectTimeout", Long.toString(seconds));
        config.addDataSourceProperty("loginTimeout", Long.toString(seconds));
        config.addDataSourceProperty("socketTimeout", Long.toString(seconds + 2));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", "cairn");
        config.addDataSourceProperty("options", "-c statement_timeout=" + timeout.toMillis()
                + " -c lock_timeout=" + timeout.toMillis());
        this.pool = new HikariDataSource(config);
    }

    @Override
    Connection borrow() throws SQLException {
        return pool.getConnection();
    }

    @Override
    void giveBack(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // Hikari's proxy: closing returns it to the pool and does not fail.
        }
    }

    @Override
    void lockForWrite(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            s.setLong(1, WRITE_LOCK);
            s.executeQuery().close();
        }
    }

    @Override
    String describe() {
        return "directory " + url;
    }

    @Override
    void closeConnections() {
        pool.close();
    }
}
