// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.MailboxId;
import dev.cairn.store.MailboxSnapshot;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.CommitHook;
import dev.cairn.store.replication.UserImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A long random model run (ModelTest's operations, over several users, with subscriptions, ACLs,
 * threads, RENAME INBOX, accounts set and removed, and users deleted and created again) on slot A, then A's whole change log
 * replayed into an empty slot B through the replica's entry point ({@code applyAll}, in batches as
 * a replica receives them, bodies as the master ships them). A and B must then be identical: every
 * record of every user (header counters, mailboxes, messages, flags, MODSEQs, tombstones,
 * subscriptions, ACLs, the thread table, the account), the user registry, the address index, reference counts, bodies and parses,
 * the change log itself, and B's mailbox views, opened halfway and moved on only by the changes
 * published to them. Rerun one seed with {@code -Dseed=N}; sweep seeds 1 to N with {@code -Dseeds=N}.
 */
class ReplayTest {
    private static final int STEPS = 2_000;
    private static final List<String> USERS = List.of("ann", "bob", "cy");

    @TempDir Path dir;

    static Stream<Long> seeds() {
        Long one = Long.getLong("seed");
        return one != null ? Stream.of(one) : LongStream.rangeClosed(1, Integer.getInteger("seeds", 5)).boxed();
    }

    /** A message of a small pool; most refer to an earlier one, so threads form (RFC 8474 §5.2). */
    static String mail(int n) {
        String refs = n % 5 == 0 ? "" : "References: <m" + (n / 5 * 5) + "@example.com>\r\n";
        return "From: A <a@example.com>\r\nTo: b@example.com\r\nSubject: test " + n + "\r\nMessage-ID: <m" + n
                + "@example.com>\r\n" + refs + "\r\nbody " + n + "\r\n";
    }

    @ParameterizedTest(name = "seed {0}") @MethodSource("seeds")
    void aModelRunReplayedThroughTheReplicaPathGivesAnIdenticalSlot(long seed) throws IOException {
        System.out.println("ReplayTest seed " + seed + " (rerun: -Dseed=" + seed + ")");
        Random r = new Random(seed);
        try (RocksSlotStore a = open("a"); RocksSlotStore b = open("b")) {
            Map<BodyId, byte[]> shipped = new ConcurrentHashMap<>();
            a.replication().setHook(new CommitHook() {
                @Override public void beforeCommit(String user, long seq, Map<MailboxId, Long> highestUids) {}

                @Override public void committed(ChangeRecord record, long previous, byte[] encoded, Map<BodyId, byte[]> bodies) {
                    shipped.putAll(bodies); // what a master ships from memory with the record
                }

                @Override public void awaitReplicated(String user, long seq) {}
            });
            run(a, r);
            assertThat(a.check(null, false).problems()).as("seed %d: A's own check", seed).isEmpty();
            replay(a, b, r, shipped);
            assertIdentical(a, b, seed);
            assertThat(b.check(null, false).problems()).as("seed %d: B's own check", seed).isEmpty();
        }
    }

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    static void run(RocksSlotStore a, Random r) {
        Map<String, ModelRun> runs = new LinkedHashMap<>();
        for (int step = 0; step < STEPS; step++) {
            String user = USERS.get(r.nextInt(USERS.size()));
            UserStore u = a.openOrCreateUser(user);
            ModelRun run = runs.computeIfAbsent(user, x -> new ModelRun(u, r, ReplayTest::mail));
            int k = r.nextInt(100);
            if (k < 1) {
                a.deleteUser(user);
                runs.remove(user);
            } else if (k < 5) {
                String name = "s" + r.nextInt(4);
                if (r.nextBoolean()) u.subscribe(name);
                else u.unsubscribe(name);
            } else if (k < 8) {
                List<String> names = new ArrayList<>(run.model.keySet());
                names.sort(null);
                String rights = List.of("", "lr", "lrswi", "lrswipkxtea").get(r.nextInt(4));
                u.setAcl(names.get(r.nextInt(names.size())), List.of("dan", "eve").get(r.nextInt(2)), rights);
            } else if (k < 9) {
                run.renameInbox(u, "old" + r.nextInt(1000));
            } else if (k < 11) {
                account(a, user, r, step);
            } else {
                run.step(u, step);
            }
        }
    }

    /**
     * Sets or removes the user's account; its aliases come from a pool the users share, so the
     * master refuses some (an address another account holds) and the index moves between users.
     */
    private static void account(RocksSlotStore a, String user, Random r, int step) {
        if (r.nextInt(4) == 0) {
            a.removeAccount(user);
            return;
        }
        List<String> aliases = new ArrayList<>();
        for (String x : List.of("x@example.org", "y@example.org", "z@example.org")) if (r.nextInt(3) == 0) aliases.add(x);
        try {
            a.setAccount(user, new dev.cairn.store.Account("$argon2id$test$" + r.nextInt(1000), java.util.Optional.of(user + "@example.org"),
                    aliases, r.nextInt(3) == 0 ? 1000 : -1, -1, java.util.Optional.empty(), java.time.Instant.ofEpochMilli(step), r.nextInt(5) == 0));
        } catch (dev.cairn.store.StoreException e) {
            assertThat(e.reason()).isEqualTo(dev.cairn.store.StoreException.Reason.ALREADY_EXISTS);
        }
    }

    /**
     * Every channel's records in key order (a catch-up), each user's run of them through applyAll in
     * random batches. Halfway through each user's records every mailbox of the user gets a view on
     * B, which from then on only moves by the changes published to it.
     */
    private static void replay(RocksSlotStore a, RocksSlotStore b, Random r, Map<BodyId, byte[]> shipped) {
        for (List<ChangeRecord> life : lives(a)) {
            int half = life.size() / 2;
            apply(b, life.subList(0, half), r, shipped);
            if (b.hasUser(life.getFirst().user())) {
                UserStore u = b.user(life.getFirst().user());
                for (var info : u.mailboxes()) u.view(info.id());
            }
            apply(b, life.subList(half, life.size()), r, shipped);
        }
    }

    private static void apply(RocksSlotStore b, List<ChangeRecord> records, Random r, Map<BodyId, byte[]> shipped) {
        for (int i = 0; i < records.size(); ) {
            int n = Math.min(records.size() - i, 1 + r.nextInt(12));
            b.replication().applyAll(records.get(i).user(), records.subList(i, i + n), shipped::get);
            i += n;
        }
    }

    /** Each user's records, in the log's key order (a user deleted and created again has two lives). */
    private static List<List<ChangeRecord>> lives(RocksSlotStore slot) {
        List<List<ChangeRecord>> out = new ArrayList<>();
        for (int channel = 0; channel < slot.channels(); channel++) {
            ChangeLog.Position after = null;
            while (true) {
                ChangeLog.Batch batch = slot.changeLog().readChannel(channel, after, 1000);
                if (batch.records().isEmpty()) break;
                // A life ends where the name changes or the seq starts again.
                for (ChangeRecord rec : batch.records()) {
                    List<ChangeRecord> life = out.isEmpty() ? null : out.getLast();
                    if (life == null || !life.getFirst().user().equals(rec.user()) || rec.seq() <= life.getLast().seq()) {
                        out.add(life = new ArrayList<>());
                    }
                    life.add(rec);
                }
                after = batch.end();
            }
        }
        return out;
    }

    private static void assertIdentical(RocksSlotStore a, RocksSlotStore b, long seed) throws IOException {
        assertThat(b.users()).as("seed %d: users", seed).containsExactlyInAnyOrderElementsOf(a.users());
        for (String user : a.users()) {
            for (var info : a.user(user).mailboxes()) {
                MailboxSnapshot x = a.user(user).view(info.id()).snapshot(), y = b.user(user).view(info.id()).snapshot();
                String what = "seed " + seed + ": the view of " + user + " " + info.name() + " on B, moved by published changes";
                assertThat(y.info()).as(what).isEqualTo(x.info());
                assertThat(y.size()).as(what).isEqualTo(x.size());
                for (int i = 0; i < x.size(); i++) {
                    assertThat(List.of(y.uid(i), y.modSeq(i), y.flags(i))).as(what).isEqualTo(List.of(x.uid(i), x.modSeq(i), x.flags(i)));
                }
            }
            assertThat(differences(entries(a, user), entries(b, user)))
                    .as("seed %d: records of %s that differ (family:key A=value B=value)", seed, user).isEmpty();
            assertThat(b.user(user).mailboxes()).as("seed %d: mailboxes of %s", seed, user).isEqualTo(a.user(user).mailboxes());
            assertThat(b.user(user).subscriptions()).isEqualTo(a.user(user).subscriptions());
            assertThat(b.user(user).quota()).isEqualTo(a.user(user).quota());
        }
        assertThat(differences(slotRecords(a, a.meta), slotRecords(b, b.meta))).as("seed %d: the slot's own records", seed).isEmpty();
        assertThat(differences(all(a, a.refcounts), all(b, b.refcounts))).as("seed %d: reference counts", seed).isEmpty();
        assertThat(differences(all(a, a.parsed), all(b, b.parsed))).as("seed %d: parses", seed).isEmpty();
        for (String body : all(a, a.refcounts).keySet()) {
            BodyId id = BodyId.of(HexFormat.of().parseHex(body));
            try (InputStream x = a.openBody(id); InputStream y = b.openBody(id)) {
                assertThat(y.readAllBytes()).as("seed %d: body %s", seed, body).isEqualTo(x.readAllBytes());
            }
        }
        Map<String, List<ChangeRecord>> logA = changeLog(a), logB = changeLog(b);
        assertThat(logB.keySet()).as("seed %d: users in the change log", seed).isEqualTo(logA.keySet());
        for (String user : logA.keySet()) {
            List<ChangeRecord> x = logA.get(user), y = logB.get(user);
            assertThat(y).as("seed %d: change log of %s", seed, user).hasSameSizeAs(x);
            for (int i = 0; i < x.size(); i++) assertThat(y.get(i)).as("seed %d: change log of %s", seed, user).isEqualTo(x.get(i));
        }
    }

    /** The keys whose values differ (or that one side lacks), first ones only: a short, readable failure. */
    static List<String> differences(Map<String, String> a, Map<String, String> b) {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            if (java.util.Objects.equals(a.get(k), b.get(k))) continue;
            if (out.size() == 10) { out.add("..."); break; }
            out.add(k + " A=" + a.get(k) + " B=" + b.get(k));
        }
        return out;
    }

    /**
     * The user's records in every family but the change log, keyed without the slot-local user id
     * (as a resync image holds them), minus the \Recent marks (this node's own, never replicated).
     */
    static Map<String, String> entries(RocksSlotStore slot, String user) {
        Map<String, String> out = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        for (UserImage.Entry e : slot.replication().exportUser(user).entries()) {
            if (e.family() == 0 && e.key()[0] == Keys.RECENT) continue;
            String family = List.of("meta", "index", "messages", "tombstones").get(e.family());
            out.put(family + ":" + hex.formatHex(e.key()), hex.formatHex(e.value()));
        }
        return out;
    }

    /** User 0's records but the slot-local ones (user ids, the next id, epoch, role, reservations); the address index too. */
    private static Map<String, String> slotRecords(RocksSlotStore slot, org.rocksdb.ColumnFamilyHandle meta) {
        Map<String, String> out = new TreeMap<>();
        slot.scan(meta, Keys.user(0), (k, v) -> {
            if (k[4] == Keys.USER_BY_NAME) out.put(HexFormat.of().formatHex(k), "(a user)");
            else if (k[4] == Keys.LAST_UIDVALIDITY_OF_DELETED) out.put(HexFormat.of().formatHex(k), HexFormat.of().formatHex(v));
            else if (k[4] == Accounts.ADDRESS_OWNER) out.put(HexFormat.of().formatHex(k), new String(v, java.nio.charset.StandardCharsets.UTF_8));
        });
        return out;
    }

    static Map<String, String> all(RocksSlotStore slot, org.rocksdb.ColumnFamilyHandle cf) {
        Map<String, String> out = new TreeMap<>();
        slot.scan(cf, new byte[0], (k, v) -> out.put(HexFormat.of().formatHex(k), HexFormat.of().formatHex(v)));
        return out;
    }

    /** Every record of the log by user name (a user deleted and created again: its two lives in order). */
    private static Map<String, List<ChangeRecord>> changeLog(RocksSlotStore slot) {
        Map<String, List<ChangeRecord>> out = new TreeMap<>();
        for (int channel = 0; channel < slot.channels(); channel++) {
            ChangeLog.Position after = null;
            while (true) {
                ChangeLog.Batch batch = slot.changeLog().readChannel(channel, after, 1000);
                if (batch.records().isEmpty()) break;
                after = batch.end();
                for (ChangeRecord rec : batch.records()) out.computeIfAbsent(rec.user(), x -> new ArrayList<>()).add(rec);
            }
        }
        return out;
    }
}
