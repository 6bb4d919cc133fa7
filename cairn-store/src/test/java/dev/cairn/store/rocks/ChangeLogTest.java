// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static dev.cairn.store.rocks.SlotStoreTest.mail;
import static dev.cairn.store.rocks.SlotStoreTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.Flags;
import dev.cairn.store.Results.FlagOp;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.SpecialUse;
import dev.cairn.store.Uid;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeLog;
import dev.cairn.store.changelog.ChangeRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeLogTest {
    @TempDir Path dir;

    @Test void everyMutationIsLoggedCompletelyWithItsModSeq() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            ChangeLog log = slot.changeLog();
            UserStore u = slot.openOrCreateUser("alice");
            List<ChangeRecord> created = log.read("alice", 1, 100);
            assertThat(created).hasSize(1);
            assertThat(created.getFirst().seq()).isEqualTo(1);
            assertThat(created.getFirst().changes()).first().isEqualTo(new Change.UserCreated("alice"));
            assertThat(created.getFirst().changes()).filteredOn(c -> c instanceof Change.MailboxCreated).hasSize(6);
            assertThat(created.getFirst().changes()).filteredOn(c -> c instanceof Change.Subscribed).hasSize(6);

            var inbox = u.mailbox("INBOX").orElseThrow();
            var ap = u.append("INBOX", List.of(msg(mail(1), Flags.of("\\Draft", "$x"))));
            var st = u.storeFlags(inbox.id(), List.of(Uid.of(1)), FlagOp.ADD, Flags.of("\\Seen"), OptionalLong.empty());
            var cp = u.copy(inbox.id(), List.of(Uid.of(1)), "Archive");
            var mv = u.move(inbox.id(), List.of(Uid.of(1)), "Trash");
            var box = u.createMailbox("Projects/Cairn", Set.of(SpecialUse.FLAGGED));
            u.renameMailbox("Projects", "Work");
            u.subscribe("Work/Cairn");
            u.setAcl("Work/Cairn", "bob", "lrs");
            u.unsubscribe("Work/Cairn");
            u.expunge(u.mailbox("Archive").orElseThrow().id(), List.of(Uid.of(1)));
            u.deleteMailbox("Work/Cairn");

            List<ChangeRecord> all = log.read("alice", 1, 1000);
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).seq()).isEqualTo(i + 1);
                assertThat(all.get(i).user()).isEqualTo("alice");
                assertThat(ChangeCodec.decode(ChangeCodec.encode(all.get(i)))).isEqualTo(all.get(i));
            }
            assertThat(all.getLast().seq()).isEqualTo(u.highestModSeq());
            ChangeRecord append = all.get((int) ap.modSeq().value() - 1);
            var appended = (Change.MessagesAppended) append.changes().getFirst();
            assertThat(appended.mailbox()).isEqualTo(inbox.id());
            var am = appended.messages().getFirst();
            assertThat(am.uid()).isEqualTo(1);
            assertThat(am.flags()).isEqualTo(Flags.of("\\Draft", "$x"));
            assertThat(am.size()).isEqualTo(mail(1).length());
            assertThat(am.threadId()).isNotNull();
            assertThat(am.body()).isEqualTo(u.message(u.mailbox("Trash").orElseThrow().id(), Uid.of(1)).orElseThrow().body());

            ChangeRecord flags = all.get((int) st.updated().getFirst().modSeq().value() - 1);
            assertThat(flags.changes()).containsExactly(new Change.FlagsSet(inbox.id(),
                    List.of(new Change.FlagState(1, Flags.of("\\Draft", "\\Seen", "$x")))));
            ChangeRecord move = all.get((int) mv.modSeq().value() - 1);
            assertThat(move.changes()).hasSize(2);
            assertThat(move.changes().get(1)).isEqualTo(new Change.MessagesExpunged(inbox.id(), List.of(1L)));
            assertThat(cp.modSeq().value()).isEqualTo(mv.modSeq().value() - 1);

            List<Change> flat = new ArrayList<>();
            all.forEach(r -> flat.addAll(r.changes()));
            assertThat(flat).contains(new Change.MailboxRenamed(box.id(), "Projects/Cairn", "Work/Cairn"),
                    new Change.Subscribed("Work/Cairn"), new Change.Unsubscribed("Work/Cairn"),
                    new Change.AclSet(box.id(), "bob", "lrs"), new Change.MailboxDeleted(box.id(), "Work/Cairn"));
            assertThat(log.read("alice", 5, 2)).extracting(ChangeRecord::seq).containsExactly(5L, 6L);
        }
    }

    @Test void channelsHoldEachUserOnceInOrderAndPruneDrops() {
        try (SlotStore slot = RocksSlotStore.open(SlotConfig.defaults(dir).withSync(false))) {
            ChangeLog log = slot.changeLog();
            Set<String> names = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                UserStore u = slot.openOrCreateUser("user" + i);
                u.append("INBOX", List.of(msg(mail(i))));
                names.add(u.user());
            }
            int total = 0;
            Set<String> seen = new HashSet<>();
            for (int c = 0; c < slot.channels(); c++) {
                ChangeLog.Position pos = null;
                while (true) {
                    ChangeLog.Batch b = log.readChannel(c, pos, 3);
                    if (b.records().isEmpty()) break;
                    for (ChangeRecord r : b.records()) {
                        assertThat(slot.channelOf(r.user())).isEqualTo(c);
                        seen.add(r.user());
                        total++;
                    }
                    pos = b.end();
                }
            }
            assertThat(seen).isEqualTo(names);
            assertThat(total).isEqualTo(40);
            // Tailing: the listener names each commit, in seq order per user.
            List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());
            try (AutoCloseable l = log.listen((channel, user, seq) -> {
                assertThat(channel).isEqualTo(slot.channelOf(user));
                heard.add(user + ":" + seq);
            })) {
                slot.user("user0").subscribe("x");
                slot.user("user7").append("INBOX", List.of(msg(mail(70))));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            slot.user("user0").unsubscribe("x");
            assertThat(heard).containsExactly("user0:3", "user7:3");
            log.prune("user3", 1);
            assertThat(log.read("user3", 0, 10)).extracting(ChangeRecord::seq).containsExactly(2L);
            assertThat(log.firstSeq("user3")).isEqualTo(2);
            assertThat(slot.check("user3", false).problems()).isEmpty();
        }
    }

    @Test void unknownVersionIsRefused() {
        byte[] bad = ChangeCodec.encode(new ChangeRecord("a", 1, 0, java.time.Instant.EPOCH, List.of(new Change.Subscribed("x"))));
        bad[0] = 99;
        assertThatThrownBy(() -> ChangeCodec.decode(bad)).isInstanceOf(IllegalArgumentException.class);
    }
}
