// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.Account;
import dev.cairn.store.BodyId;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.UserStore;
import dev.cairn.store.Uid;
import dev.cairn.store.replication.MissingBodies;
import dev.cairn.store.replication.UserImageStaging;
import dev.cairn.store.replication.UserImageStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user copied whole from slot A to slot B in small parts ({@link UserImageStream} on the master,
 * {@link UserImageStaging} on the replica), as a resync streams it: B's copy is A's, record for
 * record, with the reference counts, bodies and parses that go with it; only the bodies B lacked
 * were asked for; the copy is of the moment the stream opened; and a copy cut off at any point
 * (the connection lost, or the replica killed: the slot closed without the staging) leaves B's
 * old copy of the user exactly as it was, with nothing of the staged one left after the next open.
 */
class StreamedCopyTest {
    @TempDir Path dir;

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    /** Copies the user from a to b in parts of about partBytes; returns the bodies b asked for. */
    static Set<BodyId> copy(RocksSlotStore a, RocksSlotStore b, String user, int partBytes) {
        Set<BodyId> asked = new LinkedHashSet<>();
        try (UserImageStream s = a.replication().streamUser(user);
             UserImageStaging staging = b.replication().stageUser(user, s.seq())) {
            while (true) {
                UserImageStream.Part p = s.next(partBytes);
                List<BodyId> want = staging.add(p.entries());
                assertThat(p.bodies()).containsAll(want);
                // Bodies come in frames: give them in two calls.
                Map<BodyId, byte[]> first = new HashMap<>(), second = new HashMap<>();
                for (int i = 0; i < want.size(); i++) (i % 2 == 0 ? first : second).put(want.get(i), s.body(want.get(i)));
                staging.bodies(first);
                staging.bodies(second);
                asked.addAll(want);
                if (p.last()) break;
            }
            staging.finish();
        }
        return asked;
    }

    private static void assertSameUser(RocksSlotStore a, RocksSlotStore b, String user) {
        assertThat(ReplayTest.differences(ReplayTest.entries(a, user), ReplayTest.entries(b, user)))
                .as("records of %s that differ (family:key A=value B=value)", user).isEmpty();
        assertThat(b.replication().seq(user)).isEqualTo(a.replication().seq(user));
        assertThat(b.check(null, false).problems()).as("B's own check").isEmpty();
    }

    /** Every user id that holds records in a user family: only registered users (and user 0) may. */
    private static Set<Integer> idsWithRecords(RocksSlotStore slot) {
        Set<Integer> ids = new TreeSet<>();
        for (var cf : List.of(slot.meta, slot.index, slot.messages, slot.tombstones)) {
            slot.scan(cf, new byte[0], (k, v) -> ids.add(ByteBuffer.wrap(k).getInt()));
        }
        return ids;
    }

    private static Set<Integer> registeredIds(RocksSlotStore slot) {
        Set<Integer> ids = new TreeSet<>(List.of(0));
        for (String u : slot.users()) ids.add(slot.userId(u));
        return ids;
    }

    @Test void aModelRunCopiedInSmallPartsOverOlderCopiesEqualsTheMasterAndOnlyLackedBodiesTravel() {
        Random r = new Random(19);
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            ReplayTest.run(a, r);
            for (String user : a.users()) b.replication().installUser(a.replication().exportUser(user)); // B's older copies
            // A moves on: new mail, expunges, flags, a new mailbox, a new user.
            a.openOrCreateUser("dan").append("INBOX", List.of(msg(ReplayTest.mail(7)), msg("only dan's\r\n")));
            Map<String, Set<String>> fresh = new HashMap<>();
            for (String user : a.users()) {
                UserStore u = a.user(user);
                var inbox = u.mailbox("INBOX").orElseThrow().id();
                List<Uid> some = u.view(inbox).snapshot().size() == 0 ? List.of() : List.of(u.view(inbox).snapshot().uid(0));
                if (!some.isEmpty()) {
                    u.storeFlags(inbox, some, dev.cairn.store.Results.FlagOp.ADD, dev.cairn.store.Flags.of("$copied"), java.util.OptionalLong.empty());
                    u.expunge(inbox, some);
                }
                u.createMailbox("Later " + user, Set.of());
                for (int i = 0; i < 3; i++) {
                    String text = "new for " + user + " " + i + "\r\n";
                    u.append("Later " + user, List.of(msg(text)));
                    fresh.computeIfAbsent(user, x -> new java.util.HashSet<>()).add(text);
                }
            }
            for (String user : a.users()) {
                Set<String> hadBefore = ReplayTest.all(b, b.refcounts).keySet();
                Set<BodyId> asked = copy(a, b, user, 300);
                for (BodyId id : asked) assertThat(hadBefore).as("asked for a body B had").doesNotContain(HexFormat.of().formatHex(id.bytes()));
                assertThat(asked).as("bodies of %s asked for", user).hasSizeGreaterThanOrEqualTo(fresh.get(user).size());
                assertSameUser(a, b, user);
            }
            assertThat(ReplayTest.differences(ReplayTest.all(a, a.parsed), ReplayTest.all(b, b.parsed))).isEmpty();
            assertThat(idsWithRecords(b)).as("old copies removed").isEqualTo(registeredIds(b));
        }
    }

    @Test void theCopyIsOfTheMomentTheStreamOpenedWhateverTheMasterDoesMeanwhile() {
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            UserStore u = a.openOrCreateUser("ann");
            for (int i = 0; i < 40; i++) u.append("INBOX", List.of(msg(ReplayTest.mail(100 + i) + "x".repeat(i))));
            Map<String, String> then = ReplayTest.entries(a, "ann");
            long seqThen = a.replication().seq("ann");
            try (UserImageStream s = a.replication().streamUser("ann");
                 UserImageStaging staging = b.replication().stageUser("ann", s.seq())) {
                assertThat(s.seq()).isEqualTo(seqThen);
                boolean last = false;
                for (int part = 0; !last; part++) {
                    if (part == 1) {
                        var inbox = u.mailbox("INBOX").orElseThrow().id();
                        u.expunge(inbox, List.of(Uid.of(1), Uid.of(2), Uid.of(3)));
                        u.append("INBOX", List.of(msg("new after the view was taken\r\n")));
                    }
                    UserImageStream.Part p = s.next(200);
                    Map<BodyId, byte[]> bodies = new HashMap<>();
                    for (BodyId id : staging.add(p.entries())) bodies.put(id, s.body(id));
                    staging.bodies(bodies);
                    last = p.last();
                }
                staging.finish();
            }
            assertThat(ReplayTest.differences(then, ReplayTest.entries(b, "ann"))).isEmpty();
            assertThat(b.replication().seq("ann")).isEqualTo(seqThen);
            assertThat(b.check(null, false).problems()).isEmpty();
        }
    }

    @Test void aCopyCutOffAtAnyPartLeavesTheOldCopyAndNothingOfItAfterTheNextOpen() {
        try (RocksSlotStore a = open("a")) {
            UserStore u = a.openOrCreateUser("ann");
            for (int i = 0; i < 10; i++) u.append("INBOX", List.of(msg(ReplayTest.mail(i))));
            a.openOrCreateUser("bob").append("INBOX", List.of(msg(ReplayTest.mail(3)))); // a body both users reference
            var oldAnn = a.replication().exportUser("ann");
            var oldBob = a.replication().exportUser("bob");
            for (int i = 10; i < 30; i++) u.append("INBOX", List.of(msg(ReplayTest.mail(i) + "more " + i)));
            int parts = 0;
            try (UserImageStream s = a.replication().streamUser("ann")) {
                while (true) {
                    parts++;
                    if (s.next(150).last()) break;
                }
            }
            assertThat(parts).isGreaterThan(6);
            for (int cut : new TreeSet<>(List.of(1, 2, parts / 3, parts / 2, 2 * parts / 3, parts - 1, parts))) {
                String name = "b" + cut;
                Map<String, String> oldCopy, oldCounts;
                try (RocksSlotStore b = open(name)) {
                    b.replication().installUser(oldAnn);
                    b.replication().installUser(oldBob);
                    oldCopy = ReplayTest.entries(b, "ann");
                    oldCounts = ReplayTest.all(b, b.refcounts);
                    // `cut` parts staged (the last one's bodies given or only asked for), then the replica is gone.
                    UserImageStream s = a.replication().streamUser("ann");
                    UserImageStaging staging = b.replication().stageUser("ann", s.seq());
                    for (int part = 0; part < cut; part++) {
                        UserImageStream.Part p = s.next(150);
                        List<BodyId> want = staging.add(p.entries());
                        if (part < cut - 1 || cut % 2 == 0) {
                            Map<BodyId, byte[]> bodies = new HashMap<>();
                            for (BodyId id : want) bodies.put(id, s.body(id));
                            staging.bodies(bodies);
                        }
                    }
                    s.close();
                    assertThat(ReplayTest.entries(b, "ann")).as("cut after %d parts: the user reads its old copy meanwhile", cut).isEqualTo(oldCopy);
                    assertThat(idsWithRecords(b)).as("cut after %d parts: something was staged", cut).isNotEqualTo(registeredIds(b));
                    // Killed: the staging is never closed.
                }
                try (RocksSlotStore b = open(name)) {
                    assertThat(ReplayTest.entries(b, "ann")).as("cut after %d parts: the old copy", cut).isEqualTo(oldCopy);
                    assertThat(ReplayTest.all(b, b.refcounts)).as("cut after %d parts: reference counts", cut).isEqualTo(oldCounts);
                    assertThat(idsWithRecords(b)).as("cut after %d parts: staged records", cut).isEqualTo(registeredIds(b));
                    assertThat(ImageGarbage.collectAll(b)).isZero();
                    assertThat(b.check(null, false).problems()).isEmpty();
                    copy(a, b, "ann", 150);
                    assertSameUser(a, b, "ann");
                }
            }
        }
    }

    @Test void aConnectionLostMidCopyDropsTheStagedRecordsAtOnce() {
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            UserStore u = a.openOrCreateUser("ann");
            for (int i = 0; i < 20; i++) u.append("INBOX", List.of(msg(ReplayTest.mail(i))));
            Map<String, String> counts = ReplayTest.all(b, b.refcounts);
            try (UserImageStream s = a.replication().streamUser("ann");
                 UserImageStaging staging = b.replication().stageUser("ann", s.seq())) {
                UserImageStream.Part p = s.next(400);
                Map<BodyId, byte[]> bodies = new HashMap<>();
                for (BodyId id : staging.add(p.entries())) bodies.put(id, s.body(id));
                staging.bodies(bodies);
                assertThat(b.hasUser("ann")).isFalse();
            }
            assertThat(b.hasUser("ann")).isFalse();
            assertThat(idsWithRecords(b)).isEqualTo(registeredIds(b));
            assertThat(ReplayTest.all(b, b.refcounts)).isEqualTo(counts);
        }
    }

    @Test void bodiesThatNeverCameOrCameWrongSwitchNothing() {
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            UserStore u = a.openOrCreateUser("ann");
            u.append("INBOX", List.of(msg(ReplayTest.mail(1))));
            b.replication().installUser(a.replication().exportUser("ann"));
            Map<String, String> oldCopy = ReplayTest.entries(b, "ann");
            u.append("INBOX", List.of(msg(ReplayTest.mail(2))));
            try (UserImageStream s = a.replication().streamUser("ann");
                 UserImageStaging staging = b.replication().stageUser("ann", s.seq())) {
                List<BodyId> want = new ArrayList<>();
                for (UserImageStream.Part p = null; p == null || !p.last(); ) {
                    p = s.next(1 << 20);
                    want.addAll(staging.add(p.entries()));
                }
                assertThat(want).hasSize(1);
                assertThatThrownBy(() -> staging.bodies(Map.of(want.getFirst(), "other bytes".getBytes())))
                        .hasMessageContaining("other content");
                assertThatThrownBy(staging::finish).isInstanceOf(MissingBodies.class);
            }
            assertThat(ReplayTest.entries(b, "ann")).isEqualTo(oldCopy);
            assertThat(idsWithRecords(b)).isEqualTo(registeredIds(b));
            assertThat(b.check(null, false).problems()).isEmpty();
        }
    }

    @Test void aStreamedCopyMovesTheAddressIndexToTheCopysAccountAndACutOffOneLeavesItAlone() {
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            Account alice = account("$argon2id$new", "alice@example.org", "al@example.org");
            a.setAccount("alice", alice);
            for (int i = 0; i < 12; i++) a.user("alice").append("INBOX", List.of(msg(ReplayTest.mail(i))));
            a.setAccount("carol", account("$argon2id$c", "carol@example.org"));
            // B has an older alice (another address, one kept) and a bob the copy must not touch.
            Account oldAlice = account("$argon2id$old", "old@example.org", "al@example.org");
            b.setAccount("alice", oldAlice);
            b.setAccount("bob", account("$argon2id$b", "bob@example.org"));

            // Cut off after the first part: the index stays the old copy's.
            try (UserImageStream s = a.replication().streamUser("alice");
                 UserImageStaging staging = b.replication().stageUser("alice", s.seq())) {
                UserImageStream.Part p = s.next(150);
                assertThat(p.last()).isFalse();
                Map<BodyId, byte[]> bodies = new HashMap<>();
                for (BodyId id : staging.add(p.entries())) bodies.put(id, s.body(id));
                staging.bodies(bodies);
            }
            assertThat(b.account("alice")).contains(oldAlice);
            assertThat(b.accountOf("old@example.org")).contains("alice");
            assertThat(b.accountOf("alice@example.org")).isEmpty();

            copy(a, b, "alice", 150);
            copy(a, b, "carol", 150); // a user B did not have
            assertSameUser(a, b, "alice");
            assertThat(b.account("alice")).contains(alice);
            assertThat(b.accountOf("alice@example.org")).contains("alice");
            assertThat(b.accountOf("al@example.org")).contains("alice");
            assertThat(b.accountOf("old@example.org")).as("the old copy's address").isEmpty();
            assertThat(b.accountOf("carol@example.org")).contains("carol");
            assertThat(b.accountOf("bob@example.org")).contains("bob");
            // The index on B is exactly A's plus bob's entry.
            Map<String, String> index = new java.util.TreeMap<>(ReplayTest.all(b, b.meta));
            index.keySet().removeIf(k -> !k.startsWith(HexFormat.of().formatHex(Accounts.ownerKey(""))));
            Map<String, String> wanted = new java.util.TreeMap<>(ReplayTest.all(a, a.meta));
            wanted.keySet().removeIf(k -> !k.startsWith(HexFormat.of().formatHex(Accounts.ownerKey(""))));
            wanted.put(HexFormat.of().formatHex(Accounts.ownerKey("bob@example.org")), HexFormat.of().formatHex("bob".getBytes()));
            assertThat(index).isEqualTo(wanted);

            // A copy of a user whose account is gone on the master takes its addresses out of B's index.
            a.removeAccount("alice");
            copy(a, b, "alice", 150);
            assertThat(b.account("alice")).isEmpty();
            assertThat(b.accountOf("al@example.org")).isEmpty();
            assertThat(b.accountOf("alice@example.org")).isEmpty();
            assertThat(b.check(null, false).problems()).isEmpty();
        }
    }

    private static Account account(String hash, String primary, String... aliases) {
        return new Account(hash, java.util.Optional.of(primary), List.of(aliases), -1, -1, java.util.Optional.empty(),
                java.time.Instant.parse("2026-12-07T00:00:00Z"), false);
    }
}
