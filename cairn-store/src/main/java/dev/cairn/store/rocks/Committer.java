// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The slot's one writer: a platform thread that takes every pending batch and writes them as one
 * native write batch (one JNI crossing, one WAL record). While it writes, new batches queue up and
 * form the next group: many concurrent commits share one WAL write without any timer or delay.
 *
 * <p>With sync on, the fsync is a second stage on its own thread: under load the writer hands a
 * written group to the syncer and goes on to write the next one while the syncer's
 * {@code SyncWAL} makes the previous groups durable (one fsync covers every group written before
 * it started). A lone commit, with no fsync running and nobody queued, is fsynced by the writer
 * itself, as a hand-off would only add a thread wake-up. A caller's future completes only after
 * the fsync, so no commit is acknowledged before it is durable. Writing the group and syncing it
 * one after the other (RocksDB's {@code sync=true}, mode {@code merged}) leaves the CPU idle
 * during the fsync and the disk idle while the group is written; cairn-store/README.md compares
 * the two.
 *
 * <p>What that costs: a group is visible to readers of the database from its write, up to one
 * fsync before it is durable. Sessions cannot see it (a user's lock is held until its commit is
 * durable, and views change only after that); a later commit that read it (a shared body's
 * reference count) lies later in the WAL, which a crash only ever truncates, so it is lost with
 * it. Only readers that hand data out of the process without the user's lock (the change log and
 * user copies for replicas) must wait, with {@link #awaitDurable()}.
 *
 * <p>Merging the group into one WriteBatch (rather than writing each with sync on the last) means
 * a failure fails the whole group, which is what a failed fsync means anyway. A failed fsync is
 * final: the WAL's state on disk is then unknown (as PostgreSQL learnt in 2018), so every later
 * commit is refused until the slot is reopened and RocksDB recovers from what the disk holds.
 */
final class Committer implements AutoCloseable {
    private record Pending(WriteOps ops, CompletableFuture<Void> done, long enqueuedNanos) {}

    private static final Pending STOP = new Pending(null, null, 0);

    /** A written group on its way to the syncer, numbered in write order. */
    private record Written(long number, List<Pending> commits) {}

    private static final Written SYNC_STOP = new Written(-1, List.of());

    /** How a group reaches the disk: -Dcairn.store.commit=merged|chained for benchmark comparisons. */
    enum Mode {
        /** Write the merged group, fsync it on the syncer thread while the next group is written. */
        PIPELINED,
        /** Write the merged group with sync on: write and fsync one after the other. */
        MERGED,
        /** Each batch its own write, only the last one of a group synced. */
        CHAINED;

        static Mode fromProperty() {
            return switch (System.getProperty("cairn.store.commit", "pipelined")) {
                case "merged" -> MERGED;
                case "chained" -> CHAINED;
                default -> PIPELINED;
            };
        }
    }

    private final RocksDB db;
    /** Its bodies are forced before each WAL fsync: a durable location never points at bytes that are not. */
    private final BodyLog bodyLog;
    private final Mode mode;
    private final WriteOptions writeOptions;
    private final WriteOptions noSync = new WriteOptions().setSync(false);
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Written> written = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Null unless sync is on and the mode is pipelined. */
    private final Thread syncer;
    /** Groups handed to RocksDB so far; the number of the latest one. */
    private final java.util.concurrent.atomic.AtomicLong started = new java.util.concurrent.atomic.AtomicLong();
    /** Groups handed to the syncer and not yet completed (only the committer adds, only the syncer takes). */
    private final java.util.concurrent.atomic.AtomicInteger syncing = new java.util.concurrent.atomic.AtomicInteger();
    /** Every group up to this number is durable (or failed before it reached the WAL). */
    private long durable;
    /** The failed fsync, once there was one: no commit is accepted after it (set under durability). */
    private volatile Exception syncFailure;
    /** Set once close() has seen both threads end. */
    private boolean finished;
    private final Object durability = new Object();
    private final Counter commits, groups, fsyncs;
    private final WriteFailures failures;
    /** The metadata directory, named when a write fails. */
    private final java.nio.file.Path dir;
    private final DistributionSummary groupSize, groupBytes;
    private final Timer latency, writeTime, fsyncTime;
    private volatile boolean closed;
    /** Tests: make the next writes fail as a full disk would. */
    volatile RocksDBException injectedFailure;
    /** Tests: runs on the syncer before each fsync (may block it, or throw as a failing disk would). */
    volatile Runnable beforeFsync;

    Committer(RocksDB db, BodyLog bodyLog, boolean sync, MeterRegistry meters, WriteFailures failures, java.nio.file.Path dir) {
        this.db = db;
        this.bodyLog = bodyLog;
        this.failures = failures;
        this.dir = dir;
        String name = dir.getFileName().toString();
        this.mode = Mode.fromProperty();
        this.writeOptions = new WriteOptions().setSync(sync && mode != Mode.PIPELINED);
        this.commits = Counter.builder("cairn.store.commits").description("commits made durable").register(meters);
        this.groups = Counter.builder("cairn.store.commit.groups").description("commit groups written (one WAL write each)").register(meters);
        this.fsyncs = Counter.builder("cairn.store.fsyncs").description("WAL fsyncs (each covers one or more commit groups)").register(meters);
        this.groupSize = DistributionSummary.builder("cairn.store.commit.group.size").description("commits per group").register(meters);
        this.groupBytes = DistributionSummary.builder("cairn.store.commit.group.bytes").baseUnit("bytes").description("bytes written per group").register(meters);
        this.latency = Timer.builder("cairn.store.commit.latency").description("from submit to durable").register(meters);
        this.writeTime = Timer.builder("cairn.store.commit.write").description("native write of one group (with its fsync unless pipelined)").register(meters);
        this.fsyncTime = Timer.builder("cairn.store.commit.fsync").description("one pipelined fsync (body segments, then the WAL)").register(meters);
        this.syncer = sync && mode == Mode.PIPELINED
                ? Thread.ofPlatform().name("cairn-syncer-" + name).daemon(true).start(this::syncLoop) : null;
        this.thread = Thread.ofPlatform().name("cairn-committer-" + name).daemon(true).start(this::run);
    }

    /** Queues the batch; the future completes when it is durable, or fails with the RocksDBException. */
    CompletableFuture<Void> submit(WriteOps ops) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (queue) { // against close(): nothing is queued after STOP
            if (closed) {
                done.completeExceptionally(new IllegalStateException("slot closed"));
                return done;
            }
            queue.add(new Pending(ops, done, System.nanoTime()));
        }
        return done;
    }

    private void run() {
        List<Pending> group = new ArrayList<>();
        while (true) {
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                continue;
            }
            queue.drainTo(group);
            boolean stop = group.remove(STOP);
            if (!group.isEmpty()) write(group);
            group = new ArrayList<>(); // the syncer may still hold the last one
            if (stop) {
                // Late submitters after close get an error rather than hanging.
                List<Pending> rest = new ArrayList<>();
                queue.drainTo(rest);
                for (Pending p : rest) if (p != STOP) p.done().completeExceptionally(new IllegalStateException("slot closed"));
                if (syncer != null) written.add(SYNC_STOP);
                return;
            }
        }
    }

    private void write(List<Pending> group) {
        long start = System.nanoTime();
        long number = started.incrementAndGet();
        try {
            RocksDBException failure = injectedFailure;
            if (failure != null) throw failure;
            Exception earlier = syncFailure;
            if (earlier != null) throw new RocksDBException("an earlier WAL fsync failed: " + earlier.getMessage());
            if (mode == Mode.CHAINED) writeChained(group);
            else writeMerged(group);
        } catch (RocksDBException | RuntimeException | Error e) {
            // Even an Error (out of memory building the batch) fails only this group: the
            // committer must outlive it or every later commit would wait forever.
            fail(group, e);
            // Nothing of it reached the WAL, but earlier groups may still be on their way.
            if (syncer != null && syncing.get() > 0) {
                syncing.incrementAndGet();
                written.add(new Written(number, List.of()));
            } else markDurable(number, null);
            return;
        }
        long end = System.nanoTime();
        writeTime.record(end - start, TimeUnit.NANOSECONDS);
        groups.increment();
        if (syncer != null) {
            Written w = new Written(number, group);
            // Nothing to overlap with (no fsync running, nobody waiting to be written): fsync
            // here, as a lone writer would with sync on, rather than pay a thread hand-off.
            if (syncing.get() == 0 && queue.isEmpty()) sync(List.of(w));
            else {
                syncing.incrementAndGet();
                written.add(w);
            }
            return;
        }
        if (writeOptions.sync()) fsyncs.increment();
        markDurable(number, null);
        complete(group, end);
    }

    /** The second stage: one SyncWAL for every group written since the last one. */
    private void syncLoop() {
        List<Written> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(written.take());
            } catch (InterruptedException e) {
                continue;
            }
            written.drainTo(batch);
            boolean stop = batch.remove(SYNC_STOP);
            if (!batch.isEmpty()) sync(batch);
            syncing.addAndGet(-batch.size());
            batch.clear();
            if (stop) return;
        }
    }

    private void sync(List<Written> batch) {
        long last = batch.getLast().number();
        Exception failure = syncFailure;
        if (failure == null && batch.stream().anyMatch(w -> !w.commits().isEmpty())) {
            try {
                Runnable hook = beforeFsync;
                if (hook != null) hook.run();
                long start = System.nanoTime();
                bodyLog.force();
                db.syncWal();
                fsyncTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                fsyncs.increment();
            } catch (RocksDBException | java.io.IOException | RuntimeException e) {
                failure = e;
                org.slf4j.LoggerFactory.getLogger(Committer.class)
                        .error("fsync of the body segments or the WAL failed; this slot refuses every write until it is reopened", e);
            }
        }
        markDurable(last, failure);
        if (failure != null) {
            for (Written w : batch) fail(w.commits(), failure);
            return;
        }
        long end = System.nanoTime();
        for (Written w : batch) complete(w.commits(), end);
    }

    private void markDurable(long number, Exception failure) {
        synchronized (durability) {
            if (failure != null && syncFailure == null) syncFailure = failure;
            durable = Math.max(durable, number);
            durability.notifyAll();
        }
    }

    private void fail(List<Pending> group, Throwable e) {
        if (group.isEmpty()) return;
        failures.failed(group.size(), e, dir);
        for (Pending p : group) p.done().completeExceptionally(e);
    }

    private void complete(List<Pending> group, long end) {
        commits.increment(group.size());
        groupSize.record(group.size());
        long bytes = 0;
        for (Pending p : group) bytes += p.ops().bytes();
        groupBytes.record(bytes);
        for (Pending p : group) {
            latency.record(end - p.enqueuedNanos(), TimeUnit.NANOSECONDS);
            p.done().complete(null);
        }
    }

    /**
     * Waits until everything a reader could see in the database when it called this is durable:
     * call it after reading and before the data leaves the process. Returns at once when no group
     * is between its write and its fsync.
     *
     * @throws RocksDBException when the fsync that was to cover the read failed
     */
    void awaitDurable() throws RocksDBException, InterruptedException {
        long target = started.get(); // any group the read saw had started by now
        synchronized (durability) {
            while (durable < target && syncFailure == null && !finished) durability.wait();
            if (syncFailure != null) throw new RocksDBException("WAL fsync failed: " + syncFailure.getMessage());
        }
    }

    private void writeMerged(List<Pending> group) throws RocksDBException {
        forceBodiesBeforeSyncedWrite();
        try (WriteBatch batch = new WriteBatch()) {
            for (Pending p : group) p.ops().writeTo(batch);
            db.write(writeOptions, batch);
        }
    }

    /** The alternative measured against merging: each batch its own write, only the last one synced. */
    private void writeChained(List<Pending> group) throws RocksDBException {
        forceBodiesBeforeSyncedWrite();
        for (int i = 0; i < group.size(); i++) {
            try (WriteBatch batch = new WriteBatch()) {
                group.get(i).ops().writeTo(batch);
                db.write(i == group.size() - 1 ? writeOptions : noSync, batch);
            }
        }
    }

    /** Modes that fsync the WAL inside db.write make the group's bodies durable first. */
    private void forceBodiesBeforeSyncedWrite() throws RocksDBException {
        if (!writeOptions.sync()) return;
        try {
            bodyLog.force();
        } catch (java.io.IOException e) {
            synchronized (durability) { // final, as a failed WAL fsync (see the class comment)
                if (syncFailure == null) syncFailure = e;
            }
            throw new RocksDBException("body segment fsync failed: " + e.getMessage());
        }
    }

    @Override public void close() {
        synchronized (queue) {
            if (closed) return;
            closed = true;
            queue.add(STOP);
        }
        try {
            thread.join();
            if (syncer != null) syncer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (durability) {
            finished = true;
            durability.notifyAll(); // readers still waiting on a closed slot give up
        }
        writeOptions.close();
        noSync.close();
    }
}
