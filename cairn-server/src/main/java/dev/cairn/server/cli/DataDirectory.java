// SPDX-License-Identifier: Apache-2.0
package dev.cairn.server.cli;

import dev.cairn.server.RunFile;
import dev.cairn.server.config.NodeConfig;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;

/**
 * What the CLI checks of a data directory before it uses it, so that a typo in {@code --data}, a
 * command run from the wrong directory or as the wrong user gets one line that says so, instead
 * of a new empty database nobody reads, or a stack trace. Only {@code serve} and {@code user add}
 * create a data directory; every other command wants one that holds Cairn's data.
 */
final class DataDirectory {
    private enum State { MISSING, DIRECTORY, FILE }

    private DataDirectory() {}

    /** For serve and user add, which create what is missing: what exists must be a directory this user may use. */
    static void requireUsable(NodeConfig config) {
        Path data = config.data();
        if (state(data) == State.FILE) {
            throw new IllegalArgumentException(data + " is a file, not a directory (the data directory: --data, or data = in the config)");
        }
        if (state(data) == State.DIRECTORY) {
            requireAccess(data);
        }
    }

    /** For every other command: the data directory exists and holds {@code what} (the directory database, a slot). */
    static void requireData(NodeConfig config, Path what) {
        Path data = config.data();
        switch (state(data)) {
            case MISSING -> throw new IllegalArgumentException("no data directory " + data.toAbsolutePath().normalize()
                    + " (`cairn serve` or `cairn user add` creates one; --data or --config says where it is)");
            case FILE -> throw new IllegalArgumentException(data + " is a file, not a directory (the data directory: --data, or data = in the config)");
            case DIRECTORY -> requireAccess(data);
        }
        if (state(what) == State.MISSING) {
            Path shown = what.startsWith(data) ? data.relativize(what) : what;
            throw new IllegalArgumentException(data.toAbsolutePath().normalize() + " holds no Cairn data (no " + shown
                    + "): `cairn serve` or `cairn user add` creates it");
        }
        requireAccess(what);
    }

    /** For serve: nobody else has the data directory's slot open. */
    static void requireNotServed(NodeConfig config) {
        Optional<Long> holder = lockHolder(config.metadataDir().resolve("LOCK"));
        if (holder.isPresent()) {
            Optional<RunFile> run = RunFile.read(config.runFile()).filter(r -> r.pid() == holder.get());
            throw new IllegalStateException(config.data().toAbsolutePath().normalize() + " is in use by pid " + holder.get()
                    + run.map(r -> " (a node; admin endpoint " + r.admin() + ")").orElse("") + ": one node per data directory");
        }
    }

    private static State state(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isDirectory() ? State.DIRECTORY : State.FILE;
        } catch (NoSuchFileException e) {
            return State.MISSING;
        } catch (AccessDeniedException e) {
            throw denied(path);
        } catch (FileSystemException e) {
            // ENOTDIR: a part of the path is a file.
            throw new IllegalArgumentException(path + ": " + (e.getReason() != null ? e.getReason() : e.getMessage()));
        } catch (IOException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage());
        }
    }

    private static void requireAccess(Path path) {
        boolean directory = Files.isDirectory(path);
        if (!Files.isReadable(path) || !Files.isWritable(path) || (directory && !Files.isExecutable(path))) {
            throw denied(path);
        }
    }

    private static IllegalArgumentException denied(Path path) {
        String owner;
        try {
            owner = "; it belongs to " + Files.getOwner(path).getName();
        } catch (IOException | UnsupportedOperationException e) {
            owner = "";
        }
        return new IllegalArgumentException(path.toAbsolutePath().normalize() + ": permission denied (cairn runs as "
                + System.getProperty("user.name") + owner + ")");
    }

    /**
     * The process holding a POSIX lock on {@code file} (RocksDB's LOCK), from Linux's /proc/locks
     * ("1: POSIX ADVISORY WRITE pid major:minor:inode start end"); empty when none, or not Linux.
     */
    static Optional<Long> lockHolder(Path file) {
        String id;
        try {
            long inode = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
            long dev = ((Number) Files.getAttribute(file, "unix:dev")).longValue();
            // glibc's major()/minor() of a dev_t, printed as the kernel prints them.
            long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
            long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
            id = String.format("%02x:%02x:%d", major, minor, inode);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
        List<String> locks;
        try {
            locks = Files.readAllLines(Path.of("/proc/locks"));
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String line : locks) {
            String[] f = line.trim().split("\\s+");
            // "->" marks a process waiting for the lock, not holding it.
            if (f.length >= 6 && !f[1].equals("->") && f[5].equals(id)) {
                try {
                    long pid = Long.parseLong(f[4]);
                    if (pid > 0) {
                        return Optional.of(pid);
                    }
                } catch (NumberFormatException e) {
                    // not a line of the expected form
                }
            }
        }
        return Optional.empty();
    }
}
