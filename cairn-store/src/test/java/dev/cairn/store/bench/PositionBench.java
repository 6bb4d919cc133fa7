// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.bench;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.rocks.RocksSlotStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
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

/**
 * A replica slot's progress position, as a node reports it every second for each slot: the sum of
 * every user's seq read one by one (what the report did before the running sum: users not in
 * memory, as on a replica no client reads from) against the running sum.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
public class PositionBench {
    @Param("10000")
    public int users;

    Path dir;
    RocksSlotStore slot;

    @Setup(Level.Trial) public void fill() throws IOException {
        dir = Files.createTempDirectory("cairn-position-bench");
        slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        for (int i = 0; i < users; i++) slot.openOrCreateUser("user" + i);
        slot.evictIdleUsers(0);
        if (summed() != slot.replication().position()) throw new IllegalStateException("the two disagree");
    }

    @TearDown(Level.Trial) public void close() throws IOException {
        slot.close();
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Before: O(users), a read (and a durability wait) per user. */
    @Benchmark public long summed() {
        long sum = 0;
        for (String user : slot.users()) sum += slot.replication().seq(user);
        return sum;
    }

    /** Now: the running sum. */
    @Benchmark public long running() { return slot.replication().position(); }
}
