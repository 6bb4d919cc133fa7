// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * A write batch built on the Java heap. Callers (virtual threads) describe their writes here; only
 * the committer thread turns them into a native {@link WriteBatch}, so that no virtual thread pins
 * its carrier in a native call for the write path.
 */
final class WriteOps {
    private sealed interface Op {}
    private record Put(ColumnFamilyHandle cf, byte[] key, byte[] value) implements Op {}
    private record Delete(ColumnFamilyHandle cf, byte[] key) implements Op {}
    private record DeleteRange(ColumnFamilyHandle cf, byte[] from, byte[] to) implements Op {}

    private final List<Op> ops = new ArrayList<>();
    private long bytes;
    /** Bodies appended to the BodyLog for this batch, told when its commit ends. */
    private final List<BodyLog.Location> appended = new ArrayList<>();

    /** Handed to the committer: from then on the batch may reach the database, whatever the answer. */
    private boolean submitted;

    void appended(BodyLog.Location at) { appended.add(at); }

    void submitted() { submitted = true; }

    /**
     * The commit ended (durable or not): its bodies' segments may be reclaimed again. Bodies of a
     * batch that never reached the committer are given back to the log.
     */
    void commitEnded(BodyLog log) {
        for (BodyLog.Location at : appended) {
            if (submitted) log.committed(at);
            else log.abandoned(at);
        }
        appended.clear();
    }

    void put(ColumnFamilyHandle cf, byte[] key, byte[] value) { ops.add(new Put(cf, key, value)); bytes += key.length + value.length; }

    void delete(ColumnFamilyHandle cf, byte[] key) { ops.add(new Delete(cf, key)); bytes += key.length; }

    /** Deletes keys in [from, to). */
    void deleteRange(ColumnFamilyHandle cf, byte[] from, byte[] to) { ops.add(new DeleteRange(cf, from, to)); bytes += from.length + to.length; }

    int size() { return ops.size(); }

    long bytes() { return bytes; }

    boolean isEmpty() { return ops.isEmpty(); }

    void writeTo(WriteBatch batch) throws RocksDBException {
        for (Op op : ops) {
            switch (op) {
                case Put p -> batch.put(p.cf(), p.key(), p.value());
                case Delete d -> batch.delete(d.cf(), d.key());
                case DeleteRange r -> batch.deleteRange(r.cf(), r.from(), r.to());
            }
        }
    }
}
