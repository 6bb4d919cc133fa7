// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.bench;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.Results.AppendResult;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Appends of 10 KiB messages into one slot by 1, 8 and 64 concurrent writers, each writer its
 * own user (so writers never wait on each other's user lock, only share the committer), with
 * sync on and off. Throughput is appends per second; 64-vs-1 with sync on shows group commit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class AppendBench {
    static final int SIZE = 10 * 1024;

    @Param({"true", "false"})
    public boolean sync;

    /** How a commit group reaches the disk (Committer.Mode): -p commit=pipelined,merged,chained compares them. */
    @Param({"pipelined"})
    public String commit;

    Path dir;
    SlotStore slot;
    SimpleMeterRegistry meters;
    final AtomicInteger writers = new AtomicInteger();

    @Setup(Level.Trial) public void open() throws IOException {
        dir = Files.createTempDirectory("cairn-append-bench");
        meters = new SimpleMeterRegistry();
        System.setProperty("cairn.store.commit", commit);
        slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(sync).withMeters(meters));
        for (int i = 0; i < 64; i++) slot.openOrCreateUser("w" + i);
    }

    @TearDown(Level.Trial) public void close() throws IOException {
        double commits = meters.counter("cairn.store.commits").count();
        double groups = meters.counter("cairn.store.commit.groups").count(), fsyncs = meters.counter("cairn.store.fsyncs").count();
        System.out.printf("%n[store] commits %.0f, commit groups (WAL writes) %.0f, %.1f commits per group; WAL fsyncs %.0f%n",
                commits, groups, commits / Math.max(1, groups), fsyncs);
        var write = meters.timer("cairn.store.commit.write");
        var fsync = meters.timer("cairn.store.commit.fsync");
        var latency = meters.timer("cairn.store.commit.latency");
        System.out.printf("[store] native write of a group %.2f ms mean; pipelined fsync %.2f ms mean; commit latency %.2f ms mean%n",
                write.mean(TimeUnit.MILLISECONDS), fsync.mean(TimeUnit.MILLISECONDS), latency.mean(TimeUnit.MILLISECONDS));
        slot.close();
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @State(Scope.Thread)
    public static class Writer {
        UserStore user;
        byte[] body;
        long n;

        @Setup(Level.Trial) public void setup(AppendBench bench) {
            int id = bench.writers.getAndIncrement() % 64;
            user = bench.slot.user("w" + id);
            body = new byte[SIZE];
            Random r = new Random(id);
            byte[] header = ("From: bench@example.com\r\nSubject: writer " + id + "\r\n\r\n").getBytes();
            System.arraycopy(header, 0, body, 0, header.length);
            for (int i = header.length; i < SIZE; i++) body[i] = (byte) ('a' + r.nextInt(26));
            ByteBuffer.wrap(body, SIZE - 16, 8).putLong(id);
        }

        AppendResult append() {
            byte[] b = body.clone();
            ByteBuffer.wrap(b, SIZE - 8, 8).putLong(n++); // every message its own body
            return user.append("INBOX", List.of(new NewMessage(BodySource.of(b), Flags.NONE, Instant.now())));
        }
    }

    @Benchmark @Threads(1) public AppendResult writers01(Writer w) { return w.append(); }

    @Benchmark @Threads(8) public AppendResult writers08(Writer w) { return w.append(); }

    @Benchmark @Threads(64) public AppendResult writers64(Writer w) { return w.append(); }
}
