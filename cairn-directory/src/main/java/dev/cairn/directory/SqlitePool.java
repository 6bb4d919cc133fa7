// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The directory file's connections: a few kept open (WAL mode, a busy timeout, foreign keys,
 * full sync), lent out one per query or transaction. Writes run in {@code BEGIN IMMEDIATE}
 * transactions, which take the write lock up front, so checks and the changes they guard cannot
 * interleave with another writer (the {@code cairn user} command is another process).
 */
final class SqlitePool extends SqlPool {
    private static final Logger log = LoggerFactory.getLogger(SqlitePool.class);
    private static final int SIZE = 4;
    private static final int BUSY_TIMEOUT_MS = 5_000;

    private final Path file;
    private final BlockingQueue<Connection> idle = new ArrayBlockingQueue<>(SIZE);
    private final List<Connection> all = new ArrayList<>();

    SqlitePool(Path file) { this.file = file; }

    /** Creates the file if needed (owner-only) and opens the connections. */
    void open() throws java.io.IOException, SQLException {
        Path parent = file.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        createOwnerOnly(file);
        for (int i = 0; i < SIZE; i++) {
            Connection c = connect();
            all.add(c);
            idle.add(c);
        }
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

    @Override
    Connection borrow() throws InterruptedException {
        return idle.take();
    }

    @Override
    void giveBack(Connection c) {
        idle.add(c);
    }

    /** The connections begin their transactions IMMEDIATE: the write lock is taken with the first statement. */
    @Override
    void lockForWrite(Connection c) {}

    @Override
    String describe() {
        return "directory " + file;
    }

    @Override
    void closeConnections() {
        for (Connection c : all) {
            try {
                c.close();
            } catch (SQLException e) {
                log.warn("directory: closing {}: {}", file, e.getMessage());
            }
        }
        all.clear();
    }
}
