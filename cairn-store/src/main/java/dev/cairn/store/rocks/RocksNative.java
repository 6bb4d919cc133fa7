// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's JNI library from one copy per library version and user on the machine.
 * RocksDB's own loader copies the 17 MB library into a new temporary file for every JVM and
 * removes it only when the JVM exits cleanly: every JVM that is killed (the kill -9 tests, a crash,
 * the kernel's OOM killer) leaves one behind, and over many test runs ~4,400 of them (75 GB) filled
 * a machine's disk. Here the library is copied once, under a name made of the jar's and the
 * library's identity, into a directory only this user can write (another user's library must not
 * be loaded), by a rename of a complete copy (a JVM killed while copying leaves only a partial
 * {@code .tmp} file, removed by a later load).
 */
final class RocksNative {
    private static final Logger log = LoggerFactory.getLogger(RocksNative.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    /** A partial copy older than this was left by a JVM that died while copying. */
    private static final Duration STALE_COPY = Duration.ofMinutes(10);
    private static boolean loaded;

    private RocksNative() {}

    /** Loads the library once per JVM; falls back to RocksDB's own loader when the copy cannot be made. */
    static synchronized void load() {
        if (loaded) return;
        String library = Environment.getJniLibraryFileName("rocksdb");
        URL resource = RocksDB.class.getClassLoader().getResource(library);
        if (resource == null) {
            RocksDB.loadLibrary(); // not in the jar (a library on java.library.path): RocksDB finds it
        } else {
            try {
                Path dir = cacheDirectory(Path.of(System.getProperty("java.io.tmpdir")), System.getProperty("user.name"), resource);
                // RocksDB.loadLibrary(paths) asks each path for the file named by getJniLibraryFileName("rocksdbjni")
                // (in 11.x "librocksdbjnijni-linux64.so", not the jar's name): the copy is named as it asks
                copyOnce(resource, dir.resolve(Environment.getJniLibraryFileName("rocksdbjni")));
                RocksDB.loadLibrary(List.of(dir.toString()));
            } catch (IOException | UncheckedIOException | UnsatisfiedLinkError e) {
                log.warn("RocksDB's library could not be loaded from a shared copy ({}); RocksDB copies it to a temporary file", e.toString());
                RocksDB.loadLibrary();
            }
        }
        loaded = true;
    }

    /**
     * {@code <tmp>/cairn-rocksdbjni-<user>/<jar and size>}, made readable and writable by the owner
     * alone; refused when it exists and belongs to another user or others may write to it.
     */
    static Path cacheDirectory(Path tmp, String user, URL resource) throws IOException {
        Path base = tmp.resolve("cairn-rocksdbjni-" + user.replaceAll("[^A-Za-z0-9._-]", "_"));
        if (!Files.isDirectory(base)) {
            try {
                Files.createDirectory(base, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another JVM made it first: checked below like any other
            }
        }
        if (Files.isSymbolicLink(base) || !Files.getOwner(base).getName().equals(user)
                || !OWNER_ONLY.containsAll(Files.getPosixFilePermissions(base))) {
            throw new AccessDeniedException(base.toString(), null, "not this user's alone");
        }
        Path dir = base.resolve(identity(resource));
        Files.createDirectories(dir);
        return dir;
    }

    /** The jar's file name and the library's size: a new RocksDB version gets a copy of its own. */
    private static String identity(URL resource) throws IOException {
        String url = resource.toString();
        int bang = url.lastIndexOf("!/");
        String jar = bang < 0 ? url : url.substring(0, bang);
        jar = jar.substring(jar.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
        long size = resource.openConnection().getContentLengthLong();
        return jar + "-" + size;
    }

    /**
     * Copies the resource to {@code target} unless a complete copy is there: written to a
     * temporary file beside it and renamed, so that no JVM ever loads a partial copy. Returns
     * whether it copied.
     */
    static boolean copyOnce(URL resource, Path target) throws IOException {
        long size = resource.openConnection().getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == size) return false;
        removeStaleCopies(target.getParent());
        Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            try (InputStream in = resource.openStream()) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            // a copy in place is replaced by the same bytes; a JVM that mapped it keeps its own
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
        return true;
    }

    private static void removeStaleCopies(Path dir) throws IOException {
        FileTime before = FileTime.from(Instant.now().minus(STALE_COPY));
        try (DirectoryStream<Path> partials = Files.newDirectoryStream(dir, "*.tmp")) {
            for (Path p : partials) {
                if (Files.getLastModifiedTime(p).compareTo(before) < 0) Files.deleteIfExists(p);
            }
        }
    }
}
