// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.bench;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.UserStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
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
 * The shared in-memory view of a 100,000-message mailbox: time to open it cold (the user's state
 * evicted, so the mailbox list and the whole index of the mailbox are read from RocksDB again;
 * the OS page cache and RocksDB's block cache are warm, as on a running server), and the heap the
 * opened view retains, measured once in setup as the used-heap delta after repeated full GCs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class ViewBench {
    @Param("100000")
    public int messages;

    Path dir;
    RocksSlotStore slot;
    MailboxId inbox;

    @Setup(Level.Trial) public void fill() throws Exception {
        dir = Files.createTempDirectory("cairn-view-bench");
        slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false));
        UserStore u = slot.openOrCreateUser("big");
        inbox = u.mailbox("INBOX").orElseThrow().id();
        Random r = new Random(1);
        List<String> keywords = List.of("$Forwarded", "$MDNSent", "$Junk", "$NotJunk", "Work", "Later");
        for (int done = 0; done < messages; ) {
            List<NewMessage> batch = new ArrayList<>();
            for (int i = 0; i < 1000 && done < messages; i++, done++) {
                byte[] body = ("From: someone" + r.nextInt(500) + "@example.com\r\nSubject: message " + done
                        + "\r\nMessage-ID: <" + done + "@bench>\r\n\r\nbody " + done + "\r\n").getBytes();
                List<String> f = new ArrayList<>();
                if (r.nextInt(10) < 8) f.add("\\Seen");
                if (r.nextInt(20) == 0) f.add("\\Flagged");
                if (r.nextInt(5) == 0) f.add(keywords.get(r.nextInt(keywords.size())));
                batch.add(new NewMessage(BodySource.of(body), Flags.of(f), Instant.now()));
            }
            u.append("INBOX", batch);
        }
        long retained = retainedByView(u);
        System.out.printf("%n[store] view of %d messages retains %.2f MiB of heap (used-heap delta after full GCs)%n",
                messages, retained / 1048576.0);
    }

    private long retainedByView(UserStore u) throws InterruptedException {
        slot.evictIdleUsers(0);
        long before = usedAfterGc();
        MailboxSnapshot held = slot.user("big").view(inbox).snapshot();
        long after = usedAfterGc();
        if (held.size() != messages) throw new IllegalStateException("view has " + held.size());
        java.lang.ref.Reference.reachabilityFence(held);
        return after - before;
    }

    private static long usedAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @TearDown(Level.Trial) public void close() throws IOException {
        slot.close();
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** SELECT of the big mailbox when no session of the user is on this node. */
    @Benchmark public int coldOpen() {
        slot.evictIdleUsers(0);
        return slot.user("big").view(inbox).snapshot().size();
    }
}
