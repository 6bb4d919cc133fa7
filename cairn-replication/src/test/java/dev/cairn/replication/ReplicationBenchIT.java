// SPDX-License-Identifier: Apache-2.0
package dev.cairn.replication;

import dev.cairn.replication.ReplicationConfig.Mode;
import dev.cairn.replication.ReplicationConfig.Tuning;
import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.UserStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replication benchmark (not part of the normal build; a measurement, not a test):
 *
 * <pre>
 * CAIRN_BENCH=true [CAIRN_BENCH_SECONDS=15] [CAIRN_BENCH_WRITERS=32] ./mvnw -B -pl cairn-replication -am verify \
 *     -Dit.test=ReplicationBenchIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 *
 * Two slots in this JVM (synced WAL, as in production) joined over loopback TCP; 32 writers each
 * deliver to their own users through the store API. Prints deliveries/s and commit latency
 * (median, p99) with no replica, with an async replica and with a sync replica; replication lag
 * (p50/p99 of the time from commit to the replica's acknowledgement) at half the async maximum;
 * and the time a replica that missed 100,000 changes takes to catch up.
 */
@EnabledIfEnvironmentVariable(named = "CAIRN_BENCH", matches = "true")
class ReplicationBenchIT {
    @TempDir Path dir;
    static final int WRITERS = env("CAIRN_BENCH_WRITERS", 32);
    static final int SECONDS = env("CAIRN_BENCH_SECONDS", 15);

    static int env(String name, int otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : Integer.parseInt(v.strip());
    }
    static final byte[] BODY = ("From: bench@example.org\r\nTo: u@example.org\r\nSubject: bench\r\n\r\n" + "x".repeat(4000) + "\r\n")
            .getBytes(StandardCharsets.UTF_8);

    record Result(double perSecond, double medianMs, double p99Ms) {
        @Override public String toString() {
            return String.format("%,.0f deliveries/s, latency median %.2f ms, p99 %.2f ms", perSecond, medianMs, p99Ms);
        }
    }

    static NewMessage message(int i) {
        byte[] b = Arrays.copyOf(BODY, BODY.length + 12);
        byte[] n = String.format("%010d\r\n", i).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, b, BODY.length, n.length);
        return new NewMessage(BodySource.of(b), Flags.NONE, Instant.now());
    }

    /** Writers deliver as fast as they can (or at {@code perSecond} in total when > 0) for the given time. */
    static Result load(SlotStore slot, String prefix, int seconds, double perSecond, ConcurrentLinkedQueue<long[]> commits)
            throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong count = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(WRITERS);
        long start = System.nanoTime();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            long[] lat = new long[4_000_000 / WRITERS];
            latencies.add(lat);
            Thread.ofVirtual().start(() -> {
                UserStore u = slot.openOrCreateUser(prefix + writer);
                int i = 0;
                long next = System.nanoTime();
                try {
                    while (running.get()) {
                        if (perSecond > 0) {
                            next += (long) (1e9 * WRITERS / perSecond);
                            long wait = next - System.nanoTime();
                            if (wait > 0) Thread.sleep(Duration.ofNanos(wait));
                        }
                        long t0 = System.nanoTime();
                        var r = u.append("INBOX", List.of(message(i)));
                        long t1 = System.nanoTime();
                        if (i < lat.length) lat[i] = t1 - t0;
                        if (commits != null) commits.add(new long[]{writer, r.modSeq().value(), t1});
                        i++;
                        count.incrementAndGet();
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    lat[lat.length - 1] = i;
                    done.countDown();
                }
            });
        }
        Thread.sleep(seconds * 1000L);
        running.set(false);
        done.await();
        double elapsed = (System.nanoTime() - start) / 1e9;
        long n = 0;
        for (long[] l : latencies) n += Math.min(l[l.length - 1], l.length - 1);
        long[] all = new long[(int) n];
        int k = 0;
        for (long[] l : latencies) {
            int m = (int) Math.min(l[l.length - 1], l.length - 1);
            System.arraycopy(l, 0, all, k, m);
            k += m;
        }
        Arrays.sort(all);
        return new Result(count.get() / elapsed, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6);
    }

    static Tuning tuning() {
        return new Tuning(Duration.ofSeconds(2), 1000, 10_000, FrameCodec.DEFAULT_MAX_FRAME, 500, Duration.ofMillis(50),
                Duration.ofSeconds(30));
    }

    TwoNodes cluster(String name, Mode mode) throws Exception {
        return new TwoNodes(dir.resolve(name), mode, tuning(), true);
    }

    @Test void measure() throws Exception {
        System.out.printf("replication benchmark: %d writers, %d s per run, 4 KiB messages, synced WAL%n", WRITERS, SECONDS);
        Result none;
        SlotConfig d = SlotConfig.defaults(dir.resolve("alone"));
        try (SlotStore alone = SlotStore.open(new SlotConfig(d.metadataDir(), d.bodiesDir(), true, d.maxMessageSize(), 8,
                d.quota(), new SimpleMeterRegistry()))) {
            none = load(alone, "u", SECONDS, 0, null);
        }
        System.out.println("no replica:    " + none);
        Result async;
        try (TwoNodes t = cluster("async", Mode.ASYNC)) {
            async = load(t.slot("a"), "u", SECONDS, 0, null);
        }
        System.out.println("async replica: " + async);
        try (TwoNodes t = cluster("sync", Mode.SYNC)) {
            Result sync = load(t.slot("a"), "u", SECONDS, 0, null);
            System.out.println("sync replica:  " + sync + String.format(" (%.0f %% of no replica)", 100 * sync.perSecond() / none.perSecond()));
        }

        // Lag at half the async maximum: time from the commit to the replica having it.
        try (TwoNodes t = cluster("lag", Mode.ASYNC)) {
            ConcurrentLinkedQueue<long[]> commits = new ConcurrentLinkedQueue<>();
            List<Long> lags = new ArrayList<>();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = Thread.ofPlatform().start(() -> {
                while (sampling.get() || !commits.isEmpty()) {
                    long[] c = commits.peek();
                    if (c == null) { Thread.onSpinWait(); continue; }
                    if (t.slot("b").replication().seq("lag" + c[0]) >= c[1]) {
                        lags.add(System.nanoTime() - c[2]);
                        commits.poll();
                    }
                }
            });
            load(t.slot("a"), "lag", SECONDS, async.perSecond() / 2, commits);
            sampling.set(false);
            sampler.join();
            long[] l = lags.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf("async lag at %,.0f deliveries/s: p50 %.2f ms, p99 %.2f ms (%d commits)%n", async.perSecond() / 2,
                    l[l.length / 2] / 1e6, l[(int) (l.length * 0.99)] / 1e6, l.length);
        }

        // Catch-up: the replica misses 100,000 changes (1,000 users x 100), then comes back. The users
        // exist (and have their reservations) before it goes away; it then misses 100 changes of each.
        try (TwoNodes t = cluster("catchup", Mode.ASYNC)) {
            for (int user = 0; user < 1000; user++) t.slot("a").openOrCreateUser("c" + user).append("INBOX", List.of(message(-user)));
            String[] users = new String[1000];
            for (int i = 0; i < users.length; i++) users[i] = "c" + i;
            t.awaitCaughtUp("a", "b", Duration.ofMinutes(5), users);
            t.stop("b");
            CountDownLatch done = new CountDownLatch(WRITERS);
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread.ofVirtual().start(() -> {
                    try {
                        for (int user = writer; user < 1000; user += WRITERS) {
                            UserStore u = t.slot("a").user("c" + user);
                            for (int i = 0; i < 100; i++) u.append("INBOX", List.of(message(user * 100 + i)));
                        }
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
            long start = System.nanoTime();
            t.start("b");
            t.awaitCaughtUp("a", "b", Duration.ofMinutes(10), users);
            System.out.printf("catch-up of 100,000 changes (1,000 users): %.1f s%n", (System.nanoTime() - start) / 1e9);
        }
    }
}
