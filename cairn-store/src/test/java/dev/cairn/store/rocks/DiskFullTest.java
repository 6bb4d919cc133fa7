// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/**
 * A full disk under the body log: a failed append gives its bytes back (the segment does not grow,
 * no garbage is counted, the next append reuses the space) without ever cutting into the bytes of
 * another writer, and every failed commit is counted by cause.
 */
class DiskFullTest {
    @TempDir Path dir;

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    /** Writes half of what it is given, then fails as write(2) does on a full disk. */
    private static final BodyLog.SegmentWriter HALF_THEN_FULL = (channel, b, position) -> {
        ByteBuffer half = b.slice(b.position(), b.remaining() / 2);
        channel.write(half, position);
        throw new IOException("No space left on device");
    };

    private static long fileSize(BodyLog log, int segment) throws IOException {
        return Files.size(log.segment(segment).path);
    }

    @Test void aBodyWriteThatFailsPartWayLeavesTheSegmentAsItWas() throws Exception {
        try (BodyLog log = new BodyLog(dir, 1 << 20)) {
            BodyLog.Location a = log.append(bytes(1000, 1));
            log.committed(a);
            log.writer = HALF_THEN_FULL;
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> log.append(bytes(5000, 2))).hasMessageContaining("No space");
            }
            assertThat(log.space()).containsExactly(1000, 0);
            assertThat(fileSize(log, a.segment())).as("the half-written bytes are cut off").isEqualTo(1000);
            assertThat(log.segment(a.segment()).pending.get()).isZero();

            log.writer = java.nio.channels.FileChannel::write; // space is back
            BodyLog.Location b = log.append(bytes(5000, 3));
            assertThat(b.offset()).isEqualTo(1000);
            assertThat(log.read(a)).isEqualTo(bytes(1000, 1));
            assertThat(log.read(b)).isEqualTo(bytes(5000, 3));
            assertThat(log.space()).containsExactly(6000, 0);
        }
    }

    /**
     * Writers whose body starts with a given byte wait at a gate, then fail; others write. The
     * test opens the gates in the order it wants to see the failures in.
     */
    private static final class Gates implements BodyLog.SegmentWriter {
        final java.util.Map<Byte, CountDownLatch> entered = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.Map<Byte, CountDownLatch> open = new java.util.concurrent.ConcurrentHashMap<>();

        void failing(int fill) {
            entered.put((byte) fill, new CountDownLatch(1));
            open.put((byte) fill, new CountDownLatch(1));
        }

        @Override public int write(java.nio.channels.FileChannel channel, ByteBuffer b, long position) throws IOException {
            byte fill = b.get(b.position());
            CountDownLatch gate = open.get(fill);
            if (gate == null) return channel.write(b, position);
            channel.write(b.slice(b.position(), b.remaining() / 3), position); // part of it reaches the file
            entered.get(fill).countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            throw new IOException("No space left on device");
        }

        CompletableFuture<BodyLog.Location> append(BodyLog log, int n, int fill) throws InterruptedException {
            CompletableFuture<BodyLog.Location> f = CompletableFuture.supplyAsync(() -> {
                try {
                    return log.append(bytes(n, fill));
                } catch (IOException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            CountDownLatch in = entered.get((byte) fill);
            if (in != null) assertThat(in.await(10, TimeUnit.SECONDS)).isTrue();
            return f;
        }
    }

    @Test @Timeout(30) void aFailedWriteNeverCutsIntoTheBytesOfAWriterAfterIt() throws Exception {
        try (BodyLog log = new BodyLog(dir, 1 << 20)) {
            Gates gates = new Gates();
            log.writer = gates;
            gates.failing(1);
            CompletableFuture<BodyLog.Location> a = gates.append(log, 1000, 1); // reserved [0, 1000), waiting
            BodyLog.Location b = log.append(bytes(2000, 2));                   // [1000, 3000), written
            gates.open.get((byte) 1).countDown();
            assertThatThrownBy(a::join).hasRootCauseMessage("No space left on device");

            assertThat(b.offset()).isEqualTo(1000);
            assertThat(log.read(b)).isEqualTo(bytes(2000, 2));
            assertThat(fileSize(log, b.segment())).isEqualTo(3000);
            assertThat(log.space()).as("the failed range is a hole: garbage").containsExactly(3000, 1000);

            // A failure at the end gives back only its own range.
            log.writer = HALF_THEN_FULL;
            assertThatThrownBy(() -> log.append(bytes(500, 3))).isInstanceOf(IOException.class);
            assertThat(log.space()).containsExactly(3000, 1000);
            assertThat(log.read(b)).isEqualTo(bytes(2000, 2));
        }
    }

    @Test @Timeout(30) void failedRangesAtTheEndAreAllGivenBackInWhateverOrderTheyFail() throws Exception {
        for (boolean firstFailsFirst : new boolean[] {true, false}) {
            Path d = dir.resolve("order-" + firstFailsFirst);
            try (BodyLog log = new BodyLog(d, 1 << 20)) {
                BodyLog.Location kept = log.append(bytes(100, 9));
                Gates gates = new Gates();
                log.writer = gates;
                gates.failing(1);
                gates.failing(2);
                CompletableFuture<BodyLog.Location> a = gates.append(log, 1000, 1); // [100, 1100)
                CompletableFuture<BodyLog.Location> b = gates.append(log, 2000, 2); // [1100, 3100)
                CompletableFuture<BodyLog.Location> first = firstFailsFirst ? a : b, second = firstFailsFirst ? b : a;
                gates.open.get((byte) (firstFailsFirst ? 1 : 2)).countDown();
                assertThatThrownBy(first::join).isInstanceOf(java.util.concurrent.CompletionException.class);
                gates.open.get((byte) (firstFailsFirst ? 2 : 1)).countDown();
                assertThatThrownBy(second::join).isInstanceOf(java.util.concurrent.CompletionException.class);

                assertThat(log.space()).containsExactly(100, 0);
                assertThat(fileSize(log, kept.segment())).isEqualTo(100);
                log.writer = java.nio.channels.FileChannel::write;
                assertThat(log.append(bytes(10, 4)).offset()).isEqualTo(100);
                assertThat(log.read(kept)).isEqualTo(bytes(100, 9));
            }
        }
    }

    private static double failures(SimpleMeterRegistry meters, String cause) {
        return meters.get("cairn.store.commit.failures").tag("cause", cause).counter().count();
    }

    @Test void deliveriesToAFullDiskFailEachCountedAndTheSegmentDoesNotGrow() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withMeters(meters))) {
            UserStore u = slot.openOrCreateUser("alice");
            u.append("INBOX", List.of(msg(mail(0))));
            long[] before = slot.bodySpace();
            slot.bodyLog.writer = HALF_THEN_FULL;
            for (int i = 1; i <= 42; i++) {
                int n = i;
                RefusalTest.refused(slot, u, StoreException.Reason.UNAVAILABLE, () -> u.append("INBOX", List.of(msg(mail(n)))));
            }
            assertThat(failures(meters, "no_space")).isEqualTo(42);
            assertThat(failures(meters, "io")).isZero();
            assertThat(slot.bodySpace()).containsExactly(before);

            slot.bodyLog.writer = java.nio.channels.FileChannel::write;
            assertThat(u.append("INBOX", List.of(msg(mail(43)))).uids()).hasSize(1);
            assertThat(slot.bodySpace()[1]).isZero();
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }

    @Test void aCommitThatFailsAfterItsFirstBodyGivesThatBodyBackToo() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withMeters(meters))) {
            UserStore u = slot.openOrCreateUser("alice");
            long[] before = slot.bodySpace();
            java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
            slot.bodyLog.writer = (channel, b, position) -> {
                if (writes.incrementAndGet() > 1) throw new IOException("No space left on device");
                return channel.write(b, position);
            };
            // One commit with two new bodies: the first is written, the second fails.
            RefusalTest.refused(slot, u, StoreException.Reason.UNAVAILABLE,
                    () -> u.append("INBOX", List.of(msg(mail(1)), msg(mail(2)))));
            assertThat(writes.get()).isEqualTo(2);
            assertThat(slot.bodySpace()).containsExactly(before);
            assertThat(failures(meters, "no_space")).isEqualTo(1);
        }
    }

    @Test void aBatchTheCommitterCannotWriteIsCountedByItsCause() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false).withMeters(meters))) {
            UserStore u = slot.openOrCreateUser("alice");
            slot.committer.injectedFailure = new RocksDBException("IO error: No space left on device: While appending to file");
            RefusalTest.refused(slot, u, StoreException.Reason.UNAVAILABLE, () -> u.createMailbox("A", java.util.Set.of()));
            slot.committer.injectedFailure = new RocksDBException("Corruption: bad block");
            RefusalTest.refused(slot, u, StoreException.Reason.UNAVAILABLE, () -> u.createMailbox("B", java.util.Set.of()));
            slot.committer.injectedFailure = null;
            assertThat(failures(meters, "no_space")).isEqualTo(1);
            assertThat(failures(meters, "other")).isEqualTo(1);
        }
    }

    @Test void theCauseIsTheDisksWhenTheMessageDoesNotSaySo() {
        // A locale other than English words ENOSPC differently; RocksDB's sub-code does not depend on it.
        RocksDBException rocks = new RocksDBException("x", new org.rocksdb.Status(org.rocksdb.Status.Code.IOError,
                org.rocksdb.Status.SubCode.NoSpace, "Kein Platz"));
        assertThat(WriteFailures.classify(rocks, dir)).isEqualTo(WriteFailures.Cause.NO_SPACE);
        assertThat(WriteFailures.classify(new IOException("Eingabe-/Ausgabefehler"), dir)).isEqualTo(WriteFailures.Cause.IO);
        assertThat(WriteFailures.classify(new IllegalStateException("slot closed"), dir)).isEqualTo(WriteFailures.Cause.OTHER);
    }
}
