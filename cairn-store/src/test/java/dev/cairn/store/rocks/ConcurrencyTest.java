// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.Flags;
import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.MailboxView;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrencyTest {
    @TempDir Path dir;

    /**
     * Several virtual threads append, flag and expunge on one user's INBOX while a listener
     * follows the view: replaying the listener's changes on the starting snapshot gives exactly
     * the final snapshot, every change arrives once, in MODSEQ order.
     */
    @Test void oneUserManyWritersListenerSeesEveryChangeInOrder() throws Exception {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            MailboxView view = u.view(inbox);
            List<MailboxChange> changes = Collections.synchronizedList(new ArrayList<>());
            MailboxView.Attachment a = view.attach(changes::add);
            MailboxSnapshot start = a.snapshot();
            int threads = 8, perThread = 40;
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int seed = t;
                    fs.add(pool.submit(() -> {
                        Random r = new Random(seed);
                        for (int i = 0; i < perThread; i++) {
                            int op = r.nextInt(4);
                            MailboxSnapshot s = view.snapshot();
                            if (op <= 1 || s.size() == 0) {
                                u.append("INBOX", List.of(msg(mail(seed * 1000 + i))));
                            } else if (op == 2) {
                                Uid uid = s.uid(r.nextInt(s.size()));
                                u.storeFlags(inbox, List.of(uid), r.nextBoolean() ? FlagOp.ADD : FlagOp.REMOVE,
                                        Flags.of("\\Seen", "k" + r.nextInt(3)), OptionalLong.empty());
                            } else {
                                u.expunge(inbox, List.of(s.uid(r.nextInt(s.size()))));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            }
            // Replay.
            TreeMap<Long, long[]> state = new TreeMap<>(); // uid -> {modseq}
            TreeMap<Long, Flags> flags = new TreeMap<>();
            for (int i = 0; i < start.size(); i++) { state.put(start.uid(i).value(), new long[] {start.modSeq(i).value()}); flags.put(start.uid(i).value(), start.flags(i)); }
            long last = start.info().highestModSeq();
            for (MailboxChange c : changes) {
                assertThat(c.highestModSeq()).isGreaterThan(last);
                last = c.highestModSeq();
                switch (c) {
                    case MailboxChange.Appended ap -> ap.messages().forEach(m -> {
                        assertThat(state).doesNotContainKey(m.uid().value());
                        if (!state.isEmpty()) assertThat(m.uid().value()).isGreaterThan(state.lastKey());
                        state.put(m.uid().value(), new long[] {m.modSeq().value()});
                        flags.put(m.uid().value(), m.flags());
                    });
                    case MailboxChange.Expunged ex -> ex.uids().forEach(x -> {
                        assertThat(state).containsKey(x.value());
                        state.remove(x.value());
                        flags.remove(x.value());
                    });
                    case MailboxChange.FlagsChanged fc -> fc.updates().forEach(f -> {
                        state.put(f.uid().value(), new long[] {f.modSeq().value()});
                        flags.put(f.uid().value(), f.flags());
                    });
                    default -> throw new AssertionError(c);
                }
            }
            MailboxSnapshot end = view.snapshot();
            assertThat(end.size()).isEqualTo(state.size());
            int i = 0;
            for (var e : state.entrySet()) {
                assertThat(end.uid(i).value()).isEqualTo(e.getKey());
                assertThat(end.modSeq(i).value()).isEqualTo(e.getValue()[0]);
                assertThat(end.flags(i)).isEqualTo(flags.get(e.getKey()));
                i++;
            }
            assertThat(end.info().highestModSeq()).isEqualTo(last);
            assertThat(end.info().messages()).isEqualTo(end.size());
            // The view agrees with a cold load from disk.
            slot.close();
            try (SlotStore again = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
                MailboxSnapshot cold = again.user("alice").view(inbox).snapshot();
                assertThat(cold.size()).isEqualTo(end.size());
                for (int k = 0; k < cold.size(); k++) {
                    assertThat(cold.uid(k)).isEqualTo(end.uid(k));
                    assertThat(cold.modSeq(k)).isEqualTo(end.modSeq(k));
                    assertThat(cold.flags(k)).isEqualTo(end.flags(k));
                }
                assertThat(again.check(null, false).problems()).isEmpty();
            }
        }
    }

    /**
     * Many users deliver the same bodies and expunge them concurrently: reference counts end
     * exact (check finds nothing), no body a message refers to is missing.
     */
    @Test void manyUsersSharingBodiesKeepCountsExact() throws Exception {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true))) {
            int users = 16;
            for (int i = 0; i < users; i++) slot.openOrCreateUser("u" + i);
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < users; i++) {
                    int n = i;
                    pool.submit(() -> {
                        try {
                            UserStore u = slot.user("u" + n);
                            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
                            Random r = new Random(n);
                            for (int k = 0; k < 30; k++) {
                                // 5 distinct bodies shared by everyone: same new body appended concurrently,
                                // and last references expunged while others add one.
                                u.append("INBOX", List.of(msg(mail(r.nextInt(5)))));
                                if (r.nextInt(3) == 0) {
                                    var s = u.view(inbox).snapshot();
                                    if (s.size() > 0) u.expunge(inbox, List.of(s.uid(r.nextInt(s.size()))));
                                }
                                if (r.nextInt(5) == 0) u.copy(inbox, List.of(Uid.of(1), Uid.of(2)), "Archive");
                            }
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    });
                }
            }
            assertThat(errors).isEmpty();
            var report = slot.check(null, false);
            assertThat(report.problems()).isEmpty();
            assertThat(report.usersChecked()).isEqualTo(users);
            // Every message's body is readable.
            for (int i = 0; i < users; i++) {
                UserStore u = slot.user("u" + i);
                var inbox = u.mailbox("INBOX").orElseThrow();
                var s = u.view(inbox.id()).snapshot();
                List<Uid> uids = new ArrayList<>();
                for (int k = 0; k < s.size(); k++) uids.add(s.uid(k));
                for (var m : u.messages(inbox.id(), uids)) {
                    try (var in = u.openBody(m.body())) {
                        assertThat(in.readAllBytes()).hasSize((int) m.size());
                    }
                }
            }
            // Deleting everyone leaves no body behind.
            for (int i = 0; i < users; i++) slot.deleteUser("u" + i);
            RocksSlotStore rocks = (RocksSlotStore) slot;
            List<byte[]> left = new ArrayList<>();
            rocks.scan(rocks.bodies, new byte[0], (k, v) -> left.add(k));
            rocks.scan(rocks.refcounts, new byte[0], (k, v) -> left.add(k));
            rocks.scan(rocks.parsed, new byte[0], (k, v) -> left.add(k));
            assertThat(left).isEmpty();
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }

    /** Users evicted while their handles are in use keep UIDs unique (the handle follows the current state). */
    @Test void evictionDuringWritesNeverReusesUids() throws Exception {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore rocks = (RocksSlotStore) slot;
            UserStore u = slot.openOrCreateUser("alice");
            List<Uid> all = Collections.synchronizedList(new ArrayList<>());
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < 4; t++) {
                    int seed = t;
                    pool.submit(() -> {
                        for (int i = 0; i < 50; i++) all.addAll(u.append("INBOX", List.of(msg(mail(seed * 100 + i)))).uids());
                        return null;
                    });
                }
                pool.submit(() -> {
                    for (int i = 0; i < 200; i++) { rocks.evictIdleUsers(0); Thread.yield(); }
                    return null;
                });
            }
            assertThat(all).hasSize(200).doesNotHaveDuplicates();
            assertThat(u.mailbox("INBOX").orElseThrow().messages()).isEqualTo(200);
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }

    /** 64 writers on 64 users with sync on share fsyncs: fewer WAL writes than commits. */
    @Test void concurrentCommitsShareFsyncs() throws Exception {
        var meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(true).withMeters(meters))) {
            for (int i = 0; i < 64; i++) slot.openOrCreateUser("u" + i);
            double commitsBefore = meters.counter("cairn.store.commits").count();
            double fsyncsBefore = meters.counter("cairn.store.fsyncs").count();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 64; i++) {
                    int n = i;
                    pool.submit(() -> {
                        for (int k = 0; k < 20; k++) slot.user("u" + n).append("INBOX", List.of(msg(mail(n * 100 + k))));
                        return null;
                    });
                }
            }
            double commits = meters.counter("cairn.store.commits").count() - commitsBefore;
            double fsyncs = meters.counter("cairn.store.fsyncs").count() - fsyncsBefore;
            assertThat(commits).isEqualTo(64 * 20);
            assertThat(fsyncs).isLessThan(commits / 2);
            assertThat(meters.get("cairn.store.users.open").gauge().value()).isEqualTo(64);
            assertThat(meters.get("cairn.store.commit.latency").timer().count()).isGreaterThanOrEqualTo(64 * 20);
        }
    }

    /** A view held across an eviction of its user (without an attachment) keeps showing the latest state. */
    @Test void viewHeldAcrossEvictionFollowsTheUser() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            RocksSlotStore rocks = (RocksSlotStore) slot;
            UserStore u = slot.openOrCreateUser("alice");
            MailboxId inbox = u.mailbox("INBOX").orElseThrow().id();
            MailboxView held = u.view(inbox);
            assertThat(rocks.evictIdleUsers(0)).isEqualTo(1);
            u.append("INBOX", List.of(msg(mail(1))));
            assertThat(held.snapshot().size()).isEqualTo(1);
            List<MailboxChange> seen = new ArrayList<>();
            MailboxView.Attachment a = held.attach(seen::add);
            assertThat(rocks.evictIdleUsers(0)).isZero(); // attached: stays
            u.append("INBOX", List.of(msg(mail(2))));
            assertThat(seen).hasSize(1);
            assertThat(a.snapshot().size()).isEqualTo(1);
            a.close();
        }
    }

    @Test void deletedUserIsGone() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            slot.deleteUser("alice");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> u.append("INBOX", List.of(msg(mail(1)))))
                    .isInstanceOf(StoreException.class)
                    .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.NO_SUCH_USER);
            UserStore again = slot.openOrCreateUser("alice");
            assertThat(again.mailbox("INBOX").orElseThrow().messages()).isZero();
            // Many mailboxes made within a second push UIDVALIDITY ahead of the clock; a new
            // user under the same name still starts above all of them.
            long highest = 0;
            for (int i = 0; i < 50; i++) highest = Math.max(highest, again.createMailbox("m" + i, java.util.Set.of()).uidValidity());
            slot.deleteUser("alice");
            UserStore third = slot.openOrCreateUser("alice");
            assertThat(third.createMailbox("m49", java.util.Set.of()).uidValidity()).isGreaterThan(highest);
            assertThat(third.mailbox("INBOX").orElseThrow().uidValidity()).isGreaterThan(highest);
        }
    }
}
