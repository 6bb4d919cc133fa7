// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.store.BodyId;
import dev.cairn.store.CheckReport;
import dev.cairn.store.Flags;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/** Corrupts the database on purpose, behind the store's back, and expects check to find it and repair to fix it. */
class CheckerTest {
    @TempDir Path dir;

    private static int userId(RocksSlotStore slot, String name) { return slot.userId(name); }

    private static void put(RocksSlotStore slot, org.rocksdb.ColumnFamilyHandle cf, byte[] k, byte[] v) throws RocksDBException {
        slot.db.put(cf, k, v);
    }

    private static CheckReport checkFindsAndRepairs(RocksSlotStore slot, String expect) {
        CheckReport found = slot.check(null, false);
        assertThat(found.problems()).as("check finds " + expect).anySatisfy(p -> assertThat(p.what()).contains(expect));
        assertThat(found.clean()).isFalse();
        CheckReport repaired = slot.check(null, true);
        assertThat(repaired.problems()).allSatisfy(p -> assertThat(p.repaired()).as(p.what()).isTrue());
        assertThat(slot.check(null, false).problems()).as("clean after repair").isEmpty();
        return found;
    }

    @Test void wrongRefcountOrphanAndCounters() throws Exception {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            var inbox = u.mailbox("INBOX").orElseThrow();
            u.append("INBOX", List.of(msg(mail(1)), msg(mail(2), Flags.of("\\Seen"))));
            BodyId b1 = u.message(inbox.id(), Uid.of(1)).orElseThrow().body();
            assertThat(slot.check(null, false).problems()).isEmpty();

            put(slot, slot.refcounts, Keys.body(b1), Keys.longBytes(7));
            checkFindsAndRepairs(slot, "reference count 7");
            assertThat(slot.refcount(b1)).isEqualTo(1);

            // An orphan body: stored, counted, referenced by no message.
            BodyId orphan = BodyId.of(new byte[32]);
            put(slot, slot.bodies, Keys.body(orphan), new BodyLog.Location(1, 0, 1).encode());
            put(slot, slot.refcounts, Keys.body(orphan), Keys.longBytes(1));
            checkFindsAndRepairs(slot, "orphan body");
            assertThat(slot.get(slot.bodies, Keys.body(orphan))).isNull();

            // Mailbox counters and quota usage wrong, UIDNEXT below a UID.
            int id = userId(slot, "alice");
            UserState s = slot.state("alice");
            MailboxMeta m = s.data.byId(inbox.id()).copy();
            m.messages = 9; m.unseen = 0; m.uidNext = 2;
            put(slot, slot.meta, Keys.userTagInt(id, Keys.MAILBOX, m.num), m.encode());
            UserHeader h = s.data.header().copy();
            h.storageUsed = 1;
            put(slot, slot.meta, Keys.userTag(id, Keys.HEADER), h.encode());
            CheckReport found = checkFindsAndRepairs(slot, "UIDNEXT 2");
            assertThat(found.problems()).anySatisfy(p -> assertThat(p.what()).contains("counters say 9 messages"));
            assertThat(found.problems()).anySatisfy(p -> assertThat(p.what()).contains("quota usage"));
            var fixed = u.mailbox("INBOX").orElseThrow();
            assertThat(fixed.messages()).isEqualTo(2);
            assertThat(fixed.unseen()).isEqualTo(1);
            assertThat(fixed.uidNext()).isEqualTo(3);
            assertThat(u.quota().storageUsed()).isEqualTo(mail(1).length() + mail(2).length());
            assertThat(u.append("INBOX", List.of(msg(mail(3)))).uids()).containsExactly(Uid.of(3));
        }
    }

    @Test void indexAndMessagesDisagreeAndMissingBody() throws Exception {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            var inbox = u.mailbox("INBOX").orElseThrow();
            u.append("INBOX", List.of(msg(mail(1)), msg(mail(2))));
            int id = userId(slot, "alice");
            int num = slot.state("alice").data.byId(inbox.id()).num;
            slot.db.delete(slot.index, Keys.message(id, num, 2));
            checkFindsAndRepairs(slot, "UID 2 has a message record but no flags");
            assertThat(u.message(inbox.id(), Uid.of(2))).isPresent();

            BodyId b1 = u.message(inbox.id(), Uid.of(1)).orElseThrow().body();
            slot.db.delete(slot.bodies, Keys.body(b1));
            CheckReport r = slot.check(null, true);
            assertThat(r.problems()).anySatisfy(p -> {
                assertThat(p.what()).contains("is missing");
                assertThat(p.repaired()).isFalse();
                assertThat(p.user()).isEqualTo("alice");
            });
            assertThat(r.clean()).isFalse();
        }
    }

    @Test void changeLogGapIsReported() throws Exception {
        try (RocksSlotStore slot = (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            UserStore u = slot.openOrCreateUser("alice");
            u.append("INBOX", List.of(msg(mail(1))));
            u.append("INBOX", List.of(msg(mail(2))));
            int id = userId(slot, "alice");
            slot.db.delete(slot.changelog, Keys.change(slot.channelOf("alice"), id, 2));
            CheckReport r = slot.check("alice", false);
            assertThat(r.problems()).anySatisfy(p -> assertThat(p.what()).contains("jumps from seq 1 to 3"));
        }
    }
}
