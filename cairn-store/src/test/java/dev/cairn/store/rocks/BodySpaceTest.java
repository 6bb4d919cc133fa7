// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodySource;
import dev.cairn.store.Flags;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MessageRecord;
import dev.cairn.store.NewMessage;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bodies live in segment files (BodyLog); the space of expunged bodies comes back when
 * reclaimBodySpace moves a sparse segment's remaining bodies and deletes the file, and every body
 * that stays is intact, before and after the slot is reopened. Segments are 1 MiB here.
 */
class BodySpaceTest {
    @TempDir Path dir;

    @BeforeAll static void smallSegments() { System.setProperty("cairn.store.bodySegmentSize", String.valueOf(1 << 20)); }

    @AfterAll static void defaultSegments() { System.clearProperty("cairn.store.bodySegmentSize"); }

    static byte[] mail(int n, Random random) {
        StringBuilder b = new StringBuilder("From: a@example.com\r\nSubject: body " + n + "\r\n\r\n");
        while (b.length() < 12_000) b.append(Long.toHexString(random.nextLong())).append(n % 7 == 0 ? "\r\n" : " ");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private long segmentFiles() throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("bodies").resolve("segments"))) {
            return files.count();
        }
    }

    private static void assertIntact(UserStore u, MailboxId inbox, Map<Uid, byte[]> kept) throws Exception {
        assertThat(u.messages(inbox, kept.keySet())).hasSize(kept.size());
        for (MessageRecord m : u.messages(inbox, kept.keySet())) {
            try (InputStream in = u.openBody(m.body())) {
                assertThat(in.readAllBytes()).isEqualTo(kept.get(m.uid()));
            }
        }
    }

    @Test void expungedBodiesSpaceIsReclaimedAndLiveBodiesStayIntact() throws Exception {
        Map<Uid, byte[]> kept = new HashMap<>();
        MailboxId inbox;
        try (SlotStore opened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore slot = (RocksSlotStore) opened;
            UserStore u = slot.openOrCreateUser("alice");
            Random random = new Random(7);
            List<Uid> dropped = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] body = mail(i, random);
                Uid uid = u.append("INBOX", List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now()))).uids().getFirst();
                if (i % 4 == 0) kept.put(uid, body);
                else dropped.add(uid);
            }
            inbox = u.mailbox("INBOX").orElseThrow().id();
            assertThat(slot.bodySpace()[1]).as("no garbage before any expunge").isZero();
            long filesBefore = segmentFiles();
            assertThat(filesBefore).as("400 bodies of 12 kB in 1 MiB segments").isGreaterThanOrEqualTo(4);

            // A reader in the middle of a body keeps its segment (and so the body) while it is reclaimed.
            MessageRecord first = u.messages(inbox, List.of(dropped.getFirst())).getFirst();
            InputStream held = u.openBody(first.body());
            byte[] start = held.readNBytes(100);

            u.expunge(inbox, dropped);
            long[] before = slot.bodySpace();
            assertThat(before[1]).as("garbage after the expunge").isGreaterThan(before[0] / 2);

            assertThat(slot.reclaimBodySpace(0.9)).as("below the asked ratio: nothing to do").isFalse();
            assertThat(slot.reclaimBodySpace(0.25)).isTrue();

            long[] after = slot.bodySpace();
            assertThat(after[1]).as("garbage left (only in the active segment)").isLessThan(before[1] / 4);
            assertThat(after[0]).as("bytes in segment files").isLessThan(before[0] / 2).isPositive();
            assertThat(segmentFiles()).as("the held segment is still there").isGreaterThan(1);
            byte[] rest = held.readAllBytes();
            held.close();
            assertThat(start.length + rest.length).isEqualTo((int) first.size());
            assertThat(segmentFiles()).as("reclaimed segments are deleted, the held one once let go").isLessThan(filesBefore / 2 + 1);

            assertIntact(u, inbox, kept);
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
        try (SlotStore reopened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            assertIntact(reopened.user("alice"), inbox, kept);
            assertThat(((RocksSlotStore) reopened).bodySpace()[1]).as("garbage counted again at open").isLessThan(((RocksSlotStore) reopened).bodySpace()[0] / 2);
            assertThat(reopened.check(null, false).problems()).isEmpty();
        }
    }

    /**
     * Segments are reclaimed while four writers append and expunge (every user also appends one
     * body they all share): no body that stays is lost or changed, and nothing is left over.
     */
    @Test void reclaimingWhileOthersAppendAndExpungeLosesNothing() throws Exception {
        try (SlotStore opened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore slot = (RocksSlotStore) opened;
            Map<String, Map<Uid, byte[]>> kept = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger reclaimed = new java.util.concurrent.atomic.AtomicInteger();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread reclaimer = Thread.ofPlatform().start(() -> {
                try {
                    while (!done.get()) {
                        if (slot.reclaimBodySpace(0.3)) reclaimed.incrementAndGet();
                        Thread.sleep(2);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            byte[] shared = mail(-1, new Random(1));
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                String name = "w" + w;
                Random random = new Random(w);
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        UserStore u = slot.openOrCreateUser(name);
                        MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
                        Map<Uid, byte[]> mine = new HashMap<>();
                        for (int i = 0; i < 150; i++) {
                            byte[] body = i == 75 ? shared : mail(i, random);
                            Uid uid = u.append("INBOX", List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now()))).uids().getFirst();
                            if (i % 3 == 0 || i == 75) mine.put(uid, body);
                            else u.expunge(inbox, List.of(uid));
                        }
                        kept.put(name, mine);
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : writers) t.join();
            done.set(true);
            reclaimer.join();
            assertThat(failures).isEmpty();
            assertThat(reclaimed.get()).as("segments reclaimed while the writers ran").isPositive();
            slot.reclaimBodySpace(0.3);
            for (var e : kept.entrySet()) {
                UserStore u = slot.user(e.getKey());
                assertIntact(u, u.mailbox("INBOX").orElseThrow().id(), e.getValue());
            }
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }

    /**
     * A body appended to a segment whose commit has not reached the database yet: reclaiming
     * must leave that segment alone, or the location committed afterwards would point into a
     * deleted file.
     */
    @Test void aBodyWhoseCommitIsStillOnItsWayKeepsItsSegment() throws Exception {
        try (SlotStore opened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore slot = (RocksSlotStore) opened;
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            Random random = new Random(3);
            Uid gone = u.append("INBOX", List.of(new NewMessage(BodySource.of(mail(1, random)), Flags.NONE, Instant.now()))).uids().getFirst();
            byte[] late = mail(2, random);
            PreparedBody body = PreparedBody.read(BodySource.of(late), Long.MAX_VALUE);
            WriteOps onItsWay = new WriteOps();
            slot.writeBody(onItsWay, body); // appended next to the first body, not committed
            slot.putRefcount(onItsWay, body.id, 1);
            u.expunge(inbox, List.of(gone));
            byte[] big = new byte[(1 << 20) + 1]; // rolls to a new segment: the first one is sealed, half garbage
            System.arraycopy("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, big, 0, 16);
            u.append("INBOX", List.of(new NewMessage(BodySource.of(big), Flags.NONE, Instant.now())));

            slot.reclaimBodySpace(0.25);
            slot.commitDurably(onItsWay);
            assertThat(slot.readBody(body.id, null)).isEqualTo(late);
            assertThat(slot.reclaimBodySpace(0.25)).as("once the commit ended, the segment can go").isTrue();
            assertThat(slot.readBody(body.id, null)).isEqualTo(late);
        }
    }

    /** A slot written before 2026-12-05 kept bodies as chunks in the bodies column family: they move into the body log at open. */
    @Test void bodiesInTheOldChunkedFormatMoveIntoTheBodyLogAtOpen() throws Exception {
        Map<Uid, byte[]> sent = new HashMap<>();
        MailboxId inbox;
        try (SlotStore opened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
            RocksSlotStore slot = (RocksSlotStore) opened;
            UserStore u = slot.openOrCreateUser("alice");
            Random random = new Random(5);
            byte[] big = new byte[BodyStore.CHUNK * 2 + 777]; // three chunks
            random.nextBytes(big);
            System.arraycopy("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0, big, 0, 16);
            for (byte[] body : List.of(mail(1, random), big, mail(2, random))) {
                sent.put(u.append("INBOX", List.of(new NewMessage(BodySource.of(body), Flags.NONE, Instant.now()))).uids().getFirst(), body);
            }
            inbox = u.mailbox("INBOX").orElseThrow().id();
            // Rewrite them as the old store kept them.
            for (MessageRecord m : u.messages(inbox, sent.keySet())) {
                byte[] body = sent.get(m.uid());
                slot.db.delete(slot.bodies, Keys.body(m.body()));
                for (int i = 0; i * BodyStore.CHUNK < body.length; i++) {
                    int from = i * BodyStore.CHUNK;
                    slot.db.put(slot.bodies, Keys.legacyChunk(m.body(), i),
                            java.util.Arrays.copyOfRange(body, from, Math.min(body.length, from + BodyStore.CHUNK)));
                }
            }
        }
        try (SlotStore reopened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
            RocksSlotStore slot = (RocksSlotStore) reopened;
            assertIntact(slot.user("alice"), inbox, sent);
            List<Integer> keyLengths = new ArrayList<>();
            slot.scan(slot.bodies, new byte[0], (k, v) -> keyLengths.add(k.length));
            assertThat(keyLengths).as("only locations are left").containsOnly(32).hasSize(3);
            assertThat(reopened.check(null, false).problems()).isEmpty();
            Path segments = dir.resolve("bodies").resolve("segments");
            for (String first : List.of("00000001.seg", "00000002.seg", "00000003.seg")) {
                assertThat(segments.resolve(first)).as("held only garbage once the bodies moved: deleted at open").doesNotExist();
            }
            assertThat(segmentFiles()).as("the moved bodies, 1 MiB segments").isEqualTo(3);
        }
    }

    @Test void checkSaysWhenASegmentFileIsGone() throws Exception {
        try (SlotStore opened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = opened.openOrCreateUser("alice");
            Random random = new Random(9);
            for (int i = 0; i < 100; i++) u.append("INBOX", List.of(new NewMessage(BodySource.of(mail(i, random)), Flags.NONE, Instant.now())));
        }
        Path firstSegment;
        try (Stream<Path> files = Files.list(dir.resolve("bodies").resolve("segments"))) {
            firstSegment = files.sorted().findFirst().orElseThrow();
        }
        Files.delete(firstSegment);
        try (SlotStore reopened = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            assertThat(reopened.check(null, false).problems())
                    .isNotEmpty()
                    .allSatisfy(p -> assertThat(p.what()).contains("lies in segment 1, which is not there"));
            UserStore u = reopened.user("alice");
            MessageRecord first = u.messages(u.mailbox("INBOX").orElseThrow().id(), List.of(Uid.of(1))).getFirst();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> u.openBody(first.body()))
                    .isInstanceOfSatisfying(dev.cairn.store.StoreException.class, e -> {
                        assertThat(e.reason()).isEqualTo(dev.cairn.store.StoreException.Reason.UNAVAILABLE);
                        assertThat(e.getMessage()).contains("which is not there");
                    });
        }
    }
}
