// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.NeedsResync;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The slot's progress position ({@link RocksSlotReplication#position}, kept as seqs are written)
 * against its definition, the sum over the slot's users of their seqs read one by one: after
 * every step of a random run over a master A and a replica B of every way a user's seq moves
 * (local commits, a user created and deleted, A's records applied one by one and in groups, a
 * user's image installed whole or streamed, a user dropped, a promotion's jump on either slot, a
 * repair) and across reopens of both slots. Rerun one seed with {@code -Dseed=N}; sweep seeds 1
 * to N with {@code -Dseeds=N}.
 */
class PositionTest {
    private static final int STEPS = 400;
    private static final List<String> USERS = List.of("ann", "bob", "cy", "dan");
    /** Written on B alone (A never has it): B's local commits do not make it diverge from A's records. */
    private static final String OWN = "eve";

    @TempDir Path dir;

    static Stream<Long> seeds() {
        Long one = Long.getLong("seed");
        return one != null ? Stream.of(one) : LongStream.rangeClosed(1, Integer.getInteger("seeds", 4)).boxed();
    }

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    /** What A ships: its records in commit order, and their bodies. */
    private static final class Shipped implements CommitHook {
        final List<ChangeRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
        final Map<BodyId, byte[]> bodies = new ConcurrentHashMap<>();

        @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {}

        @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> given) {
            records.add(record);
            bodies.putAll(given);
        }

        @Override public void awaitReplicated(String user, long seq) {}
    }

    /** The definition: every user's seq, read one by one. */
    private static long summed(RocksSlotStore slot) {
        long sum = 0;
        for (String user : slot.users()) sum += slot.replication().seq(user);
        return sum;
    }

    private static void assertPosition(RocksSlotStore slot, String name, long seed, int step, String what) {
        assertThat(slot.replication().position())
                .as("seed %d, step %d (%s): %s's running position against its users' seqs summed", seed, step, what, name)
                .isEqualTo(summed(slot));
    }

    @ParameterizedTest(name = "seed {0}") @MethodSource("seeds")
    void theRunningPositionIsTheSumOfTheUsersSeqsAfterEveryKindOfSeqMoveAndAcrossReopens(long seed) {
        System.out.println("PositionTest seed " + seed + " (rerun: -Dseed=" + seed + ")");
        Random r = new Random(seed);
        Shipped shipped = new Shipped();
        RocksSlotStore a = open("a"), b = open("b");
        a.replication().setHook(shipped);
        int[] sent = {0};
        Set<String> kinds = new HashSet<>();
        try {
            for (int step = 0; step < STEPS; step++) {
                String user = USERS.get(r.nextInt(USERS.size()));
                int k = r.nextInt(100);
                String what;
                if (k < 30) {
                    what = "A commits";
                    a.openOrCreateUser(user).append("INBOX", List.of(msg(ReplayTest.mail(step))));
                } else if (k < 34) {
                    what = "A creates a mailbox";
                    a.openOrCreateUser(user).createMailbox("box " + step, Set.of());
                } else if (k < 38) {
                    what = "A deletes a user";
                    if (a.hasUser(user)) a.deleteUser(user);
                } else if (k < 58) {
                    what = "B applies A's records";
                    ship(a, b, shipped, sent, r);
                } else if (k < 65) {
                    what = "B installs a user's image";
                    ship(a, b, shipped, sent, r);
                    resync(a, b, user, false);
                } else if (k < 72) {
                    what = "B stages a user's streamed copy";
                    ship(a, b, shipped, sent, r);
                    resync(a, b, user, true);
                } else if (k < 75) {
                    what = "B drops a user";
                    b.replication().dropUser(user);
                } else if (k < 78) {
                    what = "a promotion's jump";
                    RocksSlotStore p = r.nextBoolean() ? a : b;
                    p.replication().promote(p.replication().epoch() + 1, 100);
                } else if (k < 86) {
                    what = "B commits";
                    if (r.nextInt(6) == 0 && b.hasUser(OWN)) b.deleteUser(OWN);
                    else b.openOrCreateUser(OWN).append("INBOX", List.of(msg(ReplayTest.mail(step))));
                } else if (k < 88) {
                    what = "both reopen";
                    a.close();
                    b.close();
                    a = open("a");
                    b = open("b");
                    a.replication().setHook(shipped);
                } else {
                    what = "A commits";
                    a.openOrCreateUser(user).append("INBOX", List.of(msg("more " + step + "\r\n")));
                }
                kinds.add(what);
                assertPosition(a, "A", seed, step, what);
                assertPosition(b, "B", seed, step, what);
            }
            ship(a, b, shipped, sent, r);
            assertPosition(b, "B", seed, STEPS, "B applies A's records");
            assertThat(kinds).as("every kind of step ran").hasSize(10);
        } finally {
            a.close();
            b.close();
        }
    }

    /**
     * A's records not yet sent, each user's run of them through applyAll in random groups; a user
     * whose record does not follow (a jump B did not get, a user B dropped) is copied whole from A
     * (as a resync does) and its records left in this pass are skipped (the copy holds them).
     */
    private static void ship(RocksSlotStore a, RocksSlotStore b, Shipped shipped, int[] sent, Random r) {
        List<ChangeRecord> pending;
        synchronized (shipped.records) {
            pending = List.copyOf(shipped.records.subList(sent[0], shipped.records.size()));
            sent[0] = shipped.records.size();
        }
        Set<String> copied = new HashSet<>();
        for (int i = 0; i < pending.size(); ) {
            String user = pending.get(i).user();
            int n = 1;
            int most = 1 + r.nextInt(8);
            while (i + n < pending.size() && n < most && pending.get(i + n).user().equals(user)) n++;
            if (!copied.contains(user)) {
                try {
                    b.replication().applyAll(user, pending.subList(i, i + n), shipped.bodies::get);
                } catch (NeedsResync e) {
                    resync(a, b, user, r.nextBoolean());
                    copied.add(user);
                }
            }
            i += n;
        }
    }

    private static void resync(RocksSlotStore a, RocksSlotStore b, String user, boolean streamed) {
        if (!a.hasUser(user)) b.replication().dropUser(user);
        else if (streamed) StreamedCopyTest.copy(a, b, user, 300);
        else b.replication().installUser(a.replication().exportUser(user));
    }

    @Test void aRepairThatMovesAUsersSeqMovesThePosition() {
        long before;
        try (RocksSlotStore s = open("s")) {
            var ann = s.openOrCreateUser("ann");
            for (int i = 0; i < 5; i++) ann.append("INBOX", List.of(msg(ReplayTest.mail(i))));
            s.openOrCreateUser("bob").append("INBOX", List.of(msg(ReplayTest.mail(9))));
            before = s.replication().position();
            // Damage: ann's header says a seq below her mailboxes' HIGHESTMODSEQ (counted so at the next open).
            int id = s.userId("ann");
            UserHeader h = UserHeader.decode(s.get(s.meta, Keys.userTag(id, Keys.HEADER)));
            h.seq -= 3;
            WriteOps ops = new WriteOps();
            ops.put(s.meta, Keys.userTag(id, Keys.HEADER), h.encode());
            s.commitDurably(ops);
        }
        try (RocksSlotStore s = open("s")) {
            assertThat(s.replication().position()).as("counted at open, damage included").isEqualTo(before - 3).isEqualTo(summed(s));
            assertThat(s.check(null, true).problems()).isNotEmpty();
            assertThat(s.replication().position()).as("after the repair").isEqualTo(summed(s)).isEqualTo(before);
        }
    }
}
