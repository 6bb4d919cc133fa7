// SPDX-License-Identifier: Apache-2.0
/**
 * The RocksDB slot store. {@code RocksSlotStore} opens a slot's rooms and is the one door the
 * engine's classes go through: {@code SlotDatabase} (RocksDB, its options and reads),
 * {@code UserRegistry} (users loaded, evicted, created with the configured default folders,
 * deleted), {@code BodyStore} (bodies, parses, reference counts, stripe locks),
 * {@code BodyReclaimer}, {@code BodyLogOpening} (live counts, migration of old slots), the
 * {@code Committer}, and {@code RocksSlotReplication} with {@code ReplicaApplier}.
 *
 * <h2>Layout</h2>
 * One RocksDB per slot; column families {@code meta}, {@code index}, {@code messages},
 * {@code tombstones}, {@code bodies} (where each body lies in the {@link dev.cairn.store.rocks.BodyLog}),
 * {@code parsed}, {@code refcounts}, {@code changelog}. The bodies themselves are in append-only
 * segment files under {@code SlotConfig.bodiesDir}/segments. Keys are binary and big-endian and start
 * with the user's 4-byte id (see {@link dev.cairn.store.rocks.Keys}), so a user is one prefix.
 * Per message the {@code index} holds only MODSEQ and a 64-bit flag mask (16 bytes, scanned to
 * open a view); {@code messages} holds the rest (dates, size, body id, thread).
 *
 * <h2>Commit path</h2>
 * A write takes the user's lock, builds its batch on the Java heap ({@code WriteOps}) together
 * with its change record (numbered by the user's next sequence, which is the MODSEQ), takes the
 * stripe locks of the bodies whose reference counts it changes, appends each new body to the
 * active body segment (the batch gets only its location), and hands the batch to the
 * slot's committer thread, which merges every waiting batch into one native WriteBatch and one
 * WAL write. Under load the committer hands the written group to the syncer thread, whose one
 * fsync (the body segments written to, then the WAL) covers every group written since its last,
 * and writes the next group meanwhile; alone, it fsyncs itself. Readers that ship data to
 * replicas without the user's lock wait for that fsync ({@code Committer}). When the write is durable the caller publishes the user's new
 * in-memory state, tells the mailbox views (in commit order, still under the user lock) and
 * releases its locks. A view installs a change's snapshot and gives the change to every
 * listener under its monitor, and a session reads the view's latest snapshot under the same
 * monitor ({@code Attachment.latest}), so what it reads is exactly as far as what it was given.
 * A failed write answers UNAVAILABLE and reloads the user's state from the database; after a
 * failed fsync the slot refuses writes until it is reopened. Every failed commit, whether its
 * body could not be appended or its batch not written, is counted in
 * {@code cairn.store.commit.failures} by cause (no_space, io, other) and its cause logged
 * ({@code WriteFailures}).
 *
 * <h2>One write path for master and replica</h2>
 * What each change record ({@code changelog.Change}) does to the slot is written once, in
 * {@code ChangeApplier}: the write ops, the mailbox and user counters, reference counts, the thread
 * table, user registration and wiping. A master's command ({@code MessageCommands},
 * {@code MailboxCommands}, under {@code UserState}'s write path) validates, hands out
 * UIDs, MODSEQs and thread numbers, builds the change and writes its effect through the applier; a
 * replica ({@code ReplicaApplier}) applies a master's record change by change through the same
 * applier, and logs the record as the master wrote it. {@code ReplayTest} holds them in step: a
 * long random run's change log replayed into an empty slot must leave an identical slot.
 *
 * <h2>Accounts</h2>
 * A user's account ({@code dev.cairn.store.Account}: password hash, addresses, quota, group,
 * disabled) is one of the user's meta records, written by the user's own change records
 * ({@code AccountSet}, {@code AccountRemoved}, {@code UserDeleted}) through the applier like the
 * mail, so replication, reconciliation and a resync carry it. {@code Accounts} keeps the address
 * index ({@code meta [0][ADDRESS_OWNER][address]}: the users whose accounts list it) in the same
 * batch, under one lock from the index read to the durable commit; a master refuses an address
 * another account holds, and where two accounts list one (a split brain's replica) the first user
 * by name gets it on every node.
 *
 * <h2>Whole-user copies</h2>
 * A master streams a user from one RocksDB snapshot in parts ({@code ImageStream}); a replica
 * stages the parts under a user id of its own, each message with its body's reference
 * ({@code StagedImage}), and switches the user's name to that id in one batch at the end. Ids
 * whose records are no user's (staged, or replaced by a switch) are marked in meta (user 0) and
 * removed part by part ({@code ImageGarbage}); what a crash leaves is removed at the next open.
 * {@code StreamedCopyTest} holds a copy equal to its master's and a cut-off copy harmless.
 *
 * <h2>Bodies on disk</h2>
 * Each body is written once, into the active segment file (256 MiB, then a new one), and made
 * durable before the WAL fsync that makes its location durable, so a durable location never
 * points at bytes that are not; bytes a crash leaves without a location are garbage. An append
 * that fails (a full disk) gives its range back unless a later writer's range follows it, so a
 * full disk neither grows the segment nor leaves garbage, and the next append reuses the room
 * ({@code BodyLog}). Bodies no
 * longer go through the WAL, the memtable and a flush into RocksDB blob files (until 2026-12-05):
 * the disk took each body twice and WAL fsyncs waited behind the flushes. Each segment counts the
 * bytes its locations point to (from the database at open, then as bodies come and go); the
 * slot's reclaimer checks every 10 minutes and, once 64 MiB are garbage, moves the bodies left in
 * every segment that is at least a quarter garbage to the active one and deletes the file when
 * no reader holds it ({@code BodyReclaimer}). Gauges {@code cairn.store.bodies.bytes}
 * and {@code cairn.store.bodies.garbage.bytes} show where it stands. WAL files are recycled and
 * flushes and compactions use direct I/O where the file system allows it, so appends do not keep
 * faulting fresh page-cache pages in.
 *
 * <h2>Memory</h2>
 * The block caches and memtables of all slots of a node are one budget ({@code StoreMemory}): one
 * LRU cache, which also holds index and filter blocks (level 0's pinned), and one write-buffer
 * manager charging the memtables to it (at most half of it), held by the node's {@code RocksEngine}, which opens every slot with it. A slot opened on its
 * own (tests) gets one of 32 MiB for itself, as does the CLI's engine when no node runs.
 * Until 2026-12-06 every column family of every slot had its own 8 MiB cache and up to two 4 MiB
 * memtables, and index and filter blocks lived outside any cache.
 *
 * <h2>\Recent</h2>
 * IMAP4rev1's \Recent needs one mark per mailbox, the first UID no session has claimed (as in
 * Dovecot and Cyrus). It lives in {@code RecentMarks} and is written through to {@code meta}
 * ({@code RECENT}+mailbox) on each claim, unsynced and outside the change log: it must outlive
 * the in-memory state (mail that arrives while nobody looks is what \Recent is for), but it is
 * this node's bookkeeping, not mail, so a crash may set it back a little and a replica starts
 * from its own; then a few messages show as recent once more, none is hidden from every session.
 *
 * <h2>Known limits</h2>
 * Writes of one user are serial (one fsync wait each); different users share fsyncs. A commit
 * that adds a body waits for two fsyncs (segment, then WAL) where it used to wait for one.
 * Segments are not compressed. Appending the same body to several users serializes those appends
 * on the body's stripe lock until each is durable. A mailbox interns at most 59 keywords. User deletion keeps the user's change log.
 */
package dev.cairn.store.rocks;
