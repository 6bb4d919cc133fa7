// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every commit that fails to reach the disk, counted by cause
 * ({@code cairn_store_commit_failures_total{cause="no_space|io|other"}}) and logged with its cause:
 * a body that could not be appended as well as a batch the committer could not write or sync.
 * The log line has the same template each time, so the server's log filter prints it once a
 * minute with a count instead of once per failed delivery.
 */
final class WriteFailures {
    private static final Logger log = LoggerFactory.getLogger(WriteFailures.class);
    /** Below this much usable space, a failed write is taken for a full disk whatever its message says. */
    private static final long NEARLY_FULL = 1 << 20;

    enum Cause {
        /** ENOSPC (or EDQUOT): the disk, or the user's share of it, is full. */
        NO_SPACE,
        /** Any other failed read, write or sync. */
        IO,
        /** Not the disk: the slot closed, a bug. */
        OTHER;

        String tag() { return name().toLowerCase(Locale.ROOT); }
    }

    private final Map<Cause, Counter> counters = new EnumMap<>(Cause.class);

    WriteFailures(MeterRegistry meters) {
        for (Cause c : Cause.values()) {
            counters.put(c, Counter.builder("cairn.store.commit.failures").tag("cause", c.tag())
                    .description("commits that failed to reach the disk, by cause").register(meters));
        }
    }

    /** Counts {@code commits} failed commits and logs why; {@code where} is the directory written to. */
    Cause failed(int commits, Throwable e, Path where) {
        Cause cause = classify(e, where);
        counters.get(cause).increment(commits);
        String why = message(e);
        switch (cause) {
            case NO_SPACE -> log.error("no space left on {}: {}", where, why);
            case IO -> log.error("writing to {} failed: {}", where, why);
            case OTHER -> log.warn("a commit to {} failed: {}", where, why);
        }
        return cause;
    }

    static Cause classify(Throwable e, Path where) {
        boolean disk = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RocksDBException r && r.getStatus() != null) {
                // RocksDB maps ENOSPC to its own sub-code, whatever the locale.
                if (r.getStatus().getSubCode() == Status.SubCode.NoSpace) return Cause.NO_SPACE;
                if (r.getStatus().getCode() == Status.Code.IOError) disk = true;
            }
            if (t instanceof IOException) disk = true;
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) return Cause.NO_SPACE;
        }
        if (!disk) return Cause.OTHER;
        // The JDK's message for ENOSPC is strerror's, in the process's locale: ask the disk too.
        return nearlyFull(where) ? Cause.NO_SPACE : Cause.IO;
    }

    private static boolean nearlyFull(Path where) {
        try {
            return where != null && Files.getFileStore(where).getUsableSpace() < NEARLY_FULL;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
