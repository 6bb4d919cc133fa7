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
 * The slot's one writer: a platform thread that takes every pending batch, writes them as one
 * native write batch with one (synced) WAL write, and then completes each caller's future. While
 * it writes, new batches queue up and form the next group: many concurrent commits share one
 * fsync without any timer or delay.
 *
 * <p>Merging the group into one WriteBatch (rather than writing each with sync on the last) costs
 * one JNI crossing and one WAL record per group; a failure then fails the whole group, which is
 * what a failed fsync means anyway.
 */
final class Committer implements AutoCloseable {
    private record Pending(WriteOps ops, CompletableFuture<Void> done, long enqueuedNanos) {}

    private static final Pending STOP = new Pending(null, null, 0);

    private final RocksDB db;
    private final WriteOptions writeOptions;
    private final WriteOptions noSync = new WriteOptions().setSync(false);
    /** -Dcairn.store.commit=chain: write a group batch by batch (for the benchmark comparison). */
    private static final boolean CHAIN = "chain".equals(System.getProperty("cairn.store.commit"));
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final Counter commits, groups, failures;
    private final DistributionSummary groupSize, groupBytes;
    private final Timer latency, writeTime;
    private volatile boolean closed;
    /** Tests: make the next writes fail as a full disk would. */
    volatile RocksDBException injectedFailure;

    Committer(RocksDB db, boolean sync, MeterRegistry meters, String name) {
        this.db = db;
        this.writeOptions = new WriteOptions().setSync(sync);
        this.commits = Counter.builder("cairn.store.commits").description("commits made durable").register(meters);
        this.groups = Counter.builder("cairn.store.fsyncs").description("commit groups written (one WAL write and fsync each)").register(meters);
        this.failures = Counter.builder("cairn.store.commit.failures").register(meters);
        this.groupSize = DistributionSummary.builder("cairn.store.commit.group.size").description("commits per group").register(meters);
        this.groupBytes = DistributionSummary.builder("cairn.store.commit.group.bytes").baseUnit("bytes").description("bytes written per group").register(meters);
        this.latency = Timer.builder("cairn.store.commit.latency").description("from submit to durable").register(meters);
        this.writeTime = Timer.builder("cairn.store.commit.write").description("native write of one group").register(meters);
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
            group.clear();
            if (stop) {
                // Late submitters after close get an error rather than hanging.
                List<Pending> rest = new ArrayList<>();
                queue.drainTo(rest);
                for (Pending p : rest) if (p != STOP) p.done().completeExceptionally(new IllegalStateException("slot closed"));
                return;
            }
        }
    }

    private void write(List<Pending> group) {
        long start = System.nanoTime();
        try {
            RocksDBException failure = injectedFailure;
            if (failure != null) throw failure;
            if (CHAIN) writeChained(group);
            else writeMerged(group);
        } catch (RocksDBException | RuntimeException | Error e) {
            // Even an Error (out of memory building the batch) fails only this group: the
            // committer must outlive it or every later commit would wait forever.
            failures.increment(group.size());
            for (Pending p : group) p.done().completeExceptionally(e);
            return;
        }
        long end = System.nanoTime();
        writeTime.record(end - start, TimeUnit.NANOSECONDS);
        groups.increment();
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

    private void writeMerged(List<Pending> group) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            for (Pending p : group) p.ops().writeTo(batch);
            db.write(writeOptions, batch);
        }
    }

    /** The alternative measured against merging: each batch its own write, only the last one synced. */
    private void writeChained(List<Pending> group) throws RocksDBException {
        for (int i = 0; i < group.size(); i++) {
            try (WriteBatch batch = new WriteBatch()) {
                group.get(i).ops().writeTo(batch);
                db.write(i == group.size() - 1 ? writeOptions : noSync, batch);
            }
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
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writeOptions.close();
        noSync.close();
    }
}
