// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import dev.cairn.directory.DirectoryException.Reason;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The directory in an embedded SQLite database (one file in the node's data directory).
 *
 * <p>The database runs in WAL mode with a busy timeout, so the {@code cairn user} command (another
 * process) can write while the server reads. Writes run in {@code BEGIN IMMEDIATE} transactions,
 * which take the write lock up front, so checks and the changes they guard cannot interleave with
 * another writer ({@link SqlitePool}). The tables and the rules are those of every
 * {@link SqlDirectory}.
 */
public final class SqliteDirectory extends SqlDirectory {
    private final Path file;

    private SqliteDirectory(Path file, Optional<String> defaultDomain, PasswordHasher hasher, PasswordPolicy passwordPolicy) {
        super(new SqlitePool(file), defaultDomain, hasher, passwordPolicy);
        this.file = file;
    }

    /**
     * Opens (creating if needed) the directory database and brings its schema up to date.
     *
     * @param defaultDomain  the domain of addresses given without one, and of users' derived
     *                       primary addresses
     * @param passwordPolicy what a password set through this directory must be
     */
    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordHasher hasher,
                                       PasswordPolicy passwordPolicy) {
        checkDefaultDomain(defaultDomain);
        SqliteDirectory directory = new SqliteDirectory(file.toAbsolutePath(), defaultDomain, hasher, passwordPolicy);
        try {
            ((SqlitePool) directory.pool()).open();
            directory.pool().inTransaction(c -> {
                Schema.migrate(c);
                return null;
            });
        } catch (Exception e) {
            directory.close();
            if (e instanceof DirectoryException de) {
                throw de;
            }
            throw new DirectoryException(Reason.UNAVAILABLE, "cannot open the directory " + file + ": " + why(e), e);
        }
        return directory;
    }

    /** An I/O failure in words: the JDK's messages of file errors are only the file's name. */
    private static String why(Exception e) {
        return switch (e) {
            case java.nio.file.AccessDeniedException denied -> denied.getFile() + ": permission denied";
            case java.nio.file.NoSuchFileException missing -> missing.getFile() + ": no such file or directory";
            case java.nio.file.FileSystemException fs when fs.getReason() != null -> fs.getFile() + ": " + fs.getReason();
            default -> e.getMessage();
        };
    }

    /** Without a password policy beyond "not empty" (programs and tests that set passwords themselves). */
    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordHasher hasher) {
        return open(file, defaultDomain, hasher, PasswordPolicy.ANY);
    }

    public static SqliteDirectory open(Path file, Optional<String> defaultDomain) {
        return open(file, defaultDomain, new PasswordHasher());
    }

    public static SqliteDirectory open(Path file, Optional<String> defaultDomain, PasswordPolicy passwordPolicy) {
        return open(file, defaultDomain, new PasswordHasher(), passwordPolicy);
    }

    public Path file() { return file; }

    @Override
    public String toString() {
        return "SqliteDirectory[" + file + ", defaultDomain=" + defaultDomain() + "]";
    }
}
