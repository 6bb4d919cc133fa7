// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The directory database's connections, whatever the database: one lent per query
 * ({@link #withConnection}) or per write transaction ({@link #inTransaction}). Every write
 * transaction takes the directory's write lock first ({@link #lockForWrite}), so the checks of a
 * change ("is this address free?") and the change cannot interleave with another writer: another
 * process on the same SQLite file, another node on the same PostgreSQL. Any SQL failure is the
 * directory being unavailable (a login then fails temporarily, a delivery gets 451).
 */
abstract sealed class SqlPool implements AutoCloseable permits SqlitePool, PostgresPool {
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException;
    }

    private volatile boolean closed;

    /** A connection of the pool, waiting a bounded time for one. */
    abstract Connection borrow() throws SQLException, InterruptedException;

    abstract void giveBack(Connection c);

    /** Called first in every write transaction: takes the write lock up front. */
    abstract void lockForWrite(Connection c) throws SQLException;

    /** What the database is, for messages ("directory FILE", "directory postgresql://..."). */
    abstract String describe();

    /** Closes the connections. */
    abstract void closeConnections();

    /** Runs work on a connection of its own (each statement its own read transaction). */
    final <T> T withConnection(SqlWork<T> work) {
        if (closed) {
            throw new DirectoryException(Reason.UNAVAILABLE, "the directory is closed");
        }
        Connection c;
        try {
            c = borrow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectoryException(Reason.UNAVAILABLE, "interrupted", e);
        } catch (SQLException e) {
            throw unavailable(e);
        }
        try {
            return work.run(c);
        } catch (SQLException e) {
            throw unavailable(e);
        } finally {
            giveBack(c);
        }
    }

    private DirectoryException unavailable(SQLException e) {
        return new DirectoryException(Reason.UNAVAILABLE, describe() + ": " + e.getMessage(), e);
    }

    /** Runs work in one write transaction: all of it or, on any exception, none of it. */
    final <T> T inTransaction(SqlWork<T> work) {
        return withConnection(c -> {
            c.setAutoCommit(false);
            try {
                lockForWrite(c);
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    static boolean exists(Connection c, String sql, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, key);
            try (ResultSet r = s.executeQuery()) {
                return r.next();
            }
        }
    }

    static int execute(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        }
    }

    @Override
    public final void close() {
        closed = true;
        closeConnections();
    }
}
