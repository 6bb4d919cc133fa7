// SPDX-License-Identifier: Apache-2.0
/**
 * The RocksDB slot store.
 *
 * <h2>Layout</h2>
 * One RocksDB per slot; column families {@code meta}, {@code index}, {@code messages},
 * {@code tombstones}, {@code bodies} (BlobDB, files in {@code SlotConfig.bodiesDir}),
 * {@code parsed}, {@code refcounts}, {@code changelog}. Keys are binary and big-endian and start
 * with the user's 4-byte id (see {@link dev.cairn.store.rocks.Keys}), so a user is one prefix.
 * Per message the {@code index} holds only MODSEQ and a 64-bit flag mask (16 bytes, scanned to
 * open a view); {@code messages} holds the rest (dates, size, body id, thread).
 *
 * <h2>Commit path</h2>
 * A write takes the user's lock, builds its batch on the Java heap ({@code WriteOps}) together
 * with its change record (numbered by the user's next sequence, which is the MODSEQ), takes the
 * stripe locks of the bodies whose reference counts it changes, and hands the batch to the
 * slot's committer thread, which merges every waiting batch into one native WriteBatch and one
 * WAL write. Under load the committer hands the written group to the syncer thread, whose one
 * fsync covers every group written since its last, and writes the next group meanwhile; alone,
 * it fsyncs itself. Readers that ship data to replicas without the user's lock wait for that
 * fsync ({@code Committer}). When the write is durable the caller publishes the user's new
 * in-memory state, tells the mailbox views (in commit order, still under the user lock) and
 * releases its locks. A failed write answers UNAVAILABLE and reloads the user's state from the
 * database; after a failed fsync the slot refuses writes until it is reopened.
 *
 * <h2>Bodies on disk</h2>
 * Bodies of 4 KiB and more live in blob files; compactions move only their keys. Blob garbage
 * collection does not run in ordinary compactions (body keys are hashes, so every compaction
 * spans the whole key space and would copy the oldest bodies again each time); the slot's
 * reclaimer checks every 10 minutes and, once a quarter of the blob bytes (and at least 64 MiB)
 * belongs to deleted bodies, compacts the bodies column family with garbage collection on
 * ({@code RocksSlotStore.reclaimBodySpace}). Gauges {@code cairn.store.bodies.bytes} and
 * {@code cairn.store.bodies.garbage.bytes} show where it stands. WAL files are recycled and
 * flushes and compactions use direct I/O where the file system allows it, so appends do not
 * keep faulting fresh page-cache pages in.
 *
 * <h2>Known limits</h2>
 * Writes of one user are serial (one fsync wait each); different users share fsyncs. Appending
 * the same body to several users serializes those appends on the body's stripe lock until each is
 * durable. A mailbox interns at most 59 keywords. User deletion keeps the user's change log.
 */
package dev.cairn.store.rocks;
