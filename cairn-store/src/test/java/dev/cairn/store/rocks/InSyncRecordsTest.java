// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.MailboxChange;
import dev.cairn.store.MailboxInfo;
import dev.cairn.store.MailboxView;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.UserStore;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.NewUidValidity;
import dev.cairn.store.replication.Role;
import dev.cairn.store.replication.SyncState;
import dev.cairn.store.replication.SyncState.Kind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the slot keeps for the in-sync set and the unclean promotion: claims, replica states, the fence, new UIDVALIDITYs. */
class InSyncRecordsTest {
    @TempDir Path dir;

    private SlotStore open(Path at) { return RocksSlotStore.open(SlotConfig.defaults(at).withSync(false)); }

    @Test void theClaimAndTheReplicaStatesAreKeptAcrossARestart() {
        SyncState claim = new SyncState(Kind.LINK_LOST, 3, 1_765_000_000_123L, 1_765_000_000_000L, "");
        SyncState n2 = new SyncState(Kind.OUT_OF_SYNC, 3, 7, 1_765_000_000_500L, "the master acknowledged commits it did not have");
        try (SlotStore slot = open(dir)) {
            assertThat(slot.replication().syncState()).isNull();
            slot.replication().recordSyncState(claim);
            slot.replication().recordReplicaState("n2", n2);
            slot.replication().recordReplicaState("n3", claim);
        }
        try (SlotStore slot = open(dir)) {
            assertThat(slot.replication().syncState()).isEqualTo(claim);
            assertThat(slot.replication().replicaStates()).isEqualTo(Map.of("n2", n2, "n3", claim));
            slot.replication().recordSyncState(null);
            assertThat(slot.replication().syncState()).isNull();
        }
    }

    @Test void aSlotWhoseRoleIsReplicaIsFencedFromTheMomentItOpensWhateverOpensIt() {
        try (SlotStore slot = open(dir)) {
            slot.openOrCreateUser("alice");
            slot.replication().setRole(Role.REPLICA, "s1");
        }
        try (SlotStore slot = open(dir)) {
            assertThat(slot.replication().roleStore()).isEqualTo("s1");
            assertThat(slot.replication().fenceReason()).contains("replica of store s1");
            assertThatThrownBy(() -> slot.user("alice").createMailbox("Later", java.util.Set.of()))
                    .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.UNAVAILABLE));
            slot.replication().setRole(Role.MASTER); // the store named stays
            assertThat(slot.replication().roleStore()).isEqualTo("s1");
        }
        try (SlotStore slot = open(dir)) {
            assertThat(slot.replication().fenceReason()).isNull();
            slot.user("alice").createMailbox("Later", java.util.Set.of());
        }
    }

    @Test void aRoleWrittenBeforeTheStoreWasKeptStillReads() {
        try (SlotStore slot = open(dir)) {
            RocksSlotStore rocks = (RocksSlotStore) slot;
            WriteOps ops = new WriteOps();
            ops.put(rocks.meta, Keys.userTag(0, (byte) 12), new byte[]{(byte) Role.REPLICA.ordinal()});
            rocks.commitDurably(ops);
            assertThat(slot.replication().role()).isEqualTo(Role.REPLICA);
            assertThat(slot.replication().roleStore()).isNull();
        }
    }

    @Test void uidValiditiesOfOneSlotNeverEqualAnotherSlots() {
        UserHeader a = new UserHeader(), b = new UserHeader();
        List<Long> first = new ArrayList<>(), second = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            first.add(a.nextUidValidity(4, 16));
            second.add(b.nextUidValidity(5, 16));
        }
        assertThat(first).isSorted().doesNotHaveDuplicates().allMatch(v -> v % 16 == 4)
                .allMatch(v -> v >= System.currentTimeMillis() / 1000 - 5).doesNotContainAnyElementsOf(second);
    }

    @Test void renewingGivesEveryMailboxAHigherUidValidityKeepsUidsAndEndsSelections() {
        try (SlotStore slot = open(dir)) {
            UserStore alice = slot.openOrCreateUser("alice");
            alice.append("INBOX", List.of(SlotStoreTest.msg(SlotStoreTest.mail(1)), SlotStoreTest.msg(SlotStoreTest.mail(2))));
            MailboxInfo before = alice.mailbox("INBOX").orElseThrow();
            List<MailboxChange> told = new ArrayList<>();
            MailboxView.Attachment view = alice.view(before.id()).attach(told::add);
            long seq = slot.replication().seq("alice");

            List<NewUidValidity> renewed = slot.replication().renewUidValidities(3);

            assertThat(renewed).hasSize(alice.mailboxes().size()).allMatch(n -> n.user().equals("alice") && n.after() > n.before());
            MailboxInfo after = alice.mailbox("INBOX").orElseThrow();
            assertThat(after.uidValidity()).isGreaterThan(before.uidValidity());
            assertThat(after.uidNext()).isEqualTo(before.uidNext());
            assertThat(after.messages()).isEqualTo(2);
            assertThat(told).singleElement().isInstanceOf(MailboxChange.UidValidityChanged.class);
            view.close();
            // One record, at the epoch given, shipped from the log like any other.
            List<ChangeRecord> log = slot.changeLog().read("alice", seq + 1, 10);
            assertThat(log).singleElement().satisfies(r -> {
                assertThat(r.epoch()).isEqualTo(3);
                assertThat(r.changes()).allMatch(c -> c instanceof Change.UidValidityChanged);
            });
            // A mailbox made afterwards is above them all.
            assertThat(alice.createMailbox("New", java.util.Set.of()).uidValidity())
                    .isGreaterThan(renewed.stream().mapToLong(NewUidValidity::after).max().orElseThrow());
            assertThat(slot.check(null, false).problems()).isEmpty();
        }
    }
}
