// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.Account;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.StoreException;
import dev.cairn.store.changelog.Change;
import dev.cairn.store.changelog.ChangeCodec;
import dev.cairn.store.changelog.ChangeRecord;
import dev.cairn.store.replication.UserImage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Accounts as part of a user's replicated data: the change that sets one is applied by a replica
 * like any other (the account and the address index follow), a resync image carries them, and
 * one address belongs to one user: the master refuses a second, and a replica that meets two
 * accounts listing one address (a split brain) resolves it to the same user whatever the order.
 */
class AccountsTest {
    private static final Instant CREATED = Instant.parse("2026-12-07T00:00:00Z");

    @TempDir Path dir;

    private RocksSlotStore open(String name) {
        return (RocksSlotStore) RocksSlotStore.open(SlotConfig.defaults(dir.resolve(name)).withSync(false));
    }

    private static Account account(String hash, String primary, String... aliases) {
        return new Account(hash, Optional.of(primary), List.of(aliases), -1, -1, Optional.empty(), CREATED, false);
    }

    private static List<ChangeRecord> log(RocksSlotStore slot, String user) {
        return slot.changeLog().read(user, 1, 1000);
    }

    @Test void anAccountSetOnTheMasterIsAppliedByAReplicaWithItsAddresses() {
        try (RocksSlotStore master = open("a"); RocksSlotStore replica = open("b")) {
            Account alice = account("$argon2id$one", "alice@example.org", "al@example.org");
            master.setAccount("alice", alice);
            assertThat(log(master, "alice").getLast().changes()).containsExactly(new Change.AccountSet(alice));
            // The record as the replica gets it: over the wire (the codec), applied through the replica's path.
            for (ChangeRecord r : log(master, "alice")) {
                replica.replication().apply(ChangeCodec.decode(ChangeCodec.encode(r)), b -> null);
            }
            assertThat(replica.account("alice")).contains(alice);
            assertThat(replica.accountOf("al@example.org")).contains("alice");
            assertThat(replica.accountOf("alice@example.org")).contains("alice");

            Account renamed = account("$argon2id$two", "alice@example.net");
            master.setAccount("alice", renamed);
            replica.replication().applyAll("alice", log(master, "alice"), b -> null);
            assertThat(replica.account("alice")).contains(renamed);
            assertThat(replica.accountOf("al@example.org")).isEmpty();
            assertThat(replica.accountOf("alice@example.org")).isEmpty();
            assertThat(replica.accountOf("alice@example.net")).contains("alice");
        }
    }

    @Test void theMasterRefusesAnAddressAnotherAccountHoldsAndChangesNothing() {
        try (RocksSlotStore master = open("a")) {
            master.setAccount("alice", account("$argon2id$a", "alice@example.org", "sales@example.org"));
            long before = master.replication().seq("bob");
            assertThatThrownBy(() -> master.setAccount("bob", account("$argon2id$b", "bob@example.org", "sales@example.org")))
                    .isInstanceOf(StoreException.class).hasMessageContaining("sales@example.org belongs to user alice")
                    .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.ALREADY_EXISTS);
            assertThat(master.replication().seq("bob")).isEqualTo(before);
            assertThat(master.account("bob")).isEmpty();
            assertThat(master.accountOf("bob@example.org")).isEmpty();
            assertThat(master.accountOf("sales@example.org")).contains("alice");
            // Once alice lets it go, bob may have it.
            master.setAccount("alice", account("$argon2id$a", "alice@example.org"));
            master.setAccount("bob", account("$argon2id$b", "bob@example.org", "sales@example.org"));
            assertThat(master.accountOf("sales@example.org")).contains("bob");
        }
    }

    private static ChangeRecord created(String user, Account account) {
        return new ChangeRecord(user, 1, 1, CREATED, List.of(new Change.UserCreated(user), new Change.AccountSet(account)));
    }

    @Test void aReplicaThatMeetsTwoAccountsOfOneAddressGivesItToTheFirstNameWhateverTheOrder() {
        ChangeRecord bob = created("bob", account("$argon2id$b", "bob@example.org", "sales@example.org"));
        ChangeRecord ann = created("ann", account("$argon2id$a", "ann@example.org", "sales@example.org"));
        ChangeRecord annLetsGo = new ChangeRecord("ann", 2, 1, CREATED, List.of(new Change.AccountSet(account("$argon2id$a", "ann@example.org"))));
        try (RocksSlotStore one = open("one"); RocksSlotStore two = open("two")) {
            for (ChangeRecord r : List.of(bob, ann)) one.replication().apply(r, b -> null);
            for (ChangeRecord r : List.of(ann, bob)) two.replication().apply(r, b -> null);
            assertThat(one.accountOf("sales@example.org")).contains("ann");
            assertThat(two.accountOf("sales@example.org")).contains("ann");
            assertThat(one.accountOf("bob@example.org")).contains("bob");
            // When ann drops it, bob has it alone: nothing of the clash is left behind.
            one.replication().apply(annLetsGo, b -> null);
            assertThat(one.accountOf("sales@example.org")).contains("bob");
        }
    }

    @Test void aResyncImageCarriesTheAccountAndTheReplicaIndexesItsAddresses() {
        try (RocksSlotStore master = open("a"); RocksSlotStore replica = open("b")) {
            Account alice = account("$argon2id$img", "alice@example.org", "al@example.org");
            master.setAccount("alice", alice);
            // The replica had another account of alice (an older one): the image replaces it and its addresses.
            replica.replication().apply(created("alice", account("$argon2id$old", "old@example.org")), b -> null);
            assertThat(replica.accountOf("old@example.org")).contains("alice");
            UserImage image = master.replication().exportUser("alice");
            replica.replication().installUser(image);
            assertThat(replica.account("alice")).contains(alice);
            assertThat(replica.accountOf("al@example.org")).contains("alice");
            assertThat(replica.accountOf("old@example.org")).isEmpty();
            replica.replication().dropUser("alice");
            assertThat(replica.account("alice")).isEmpty();
            assertThat(replica.accountOf("al@example.org")).isEmpty();
        }
    }

    @Test void deletingTheUserRemovesItsAddressesAndRemovingTheAccountKeepsTheMail() {
        try (RocksSlotStore master = open("a")) {
            master.setAccount("alice", account("$argon2id$a", "alice@example.org"));
            master.setAccount("bob", account("$argon2id$b", "bob@example.org"));
            master.deleteUser("alice");
            assertThat(master.accountOf("alice@example.org")).isEmpty();
            assertThat(master.removeAccount("bob")).isTrue();
            assertThat(master.hasUser("bob")).isTrue();
            assertThat(master.user("bob").mailbox("INBOX")).isPresent();
            assertThat(master.accountOf("bob@example.org")).isEmpty();
            assertThat(master.removeAccount("bob")).isFalse();
        }
    }

    @Test void aFencedSlotTakesNoAccountWrites() {
        try (RocksSlotStore replica = open("b")) {
            replica.replication().fence("a replica of s1");
            assertThatThrownBy(() -> replica.setAccount("alice", account("$argon2id$a", "alice@example.org")))
                    .isInstanceOf(StoreException.class).extracting(e -> ((StoreException) e).reason())
                    .isEqualTo(StoreException.Reason.UNAVAILABLE);
            assertThat(replica.hasUser("alice")).isFalse();
        }
    }

    @Test void anAccountNeverPrintsItsPasswordHash() {
        assertThat(account("$argon2id$secret", "alice@example.org").toString()).doesNotContain("secret").contains("password=set");
        assertThat(Map.of("a", account("$argon2id$secret", "a@b.c")).toString()).doesNotContain("secret");
    }
}
