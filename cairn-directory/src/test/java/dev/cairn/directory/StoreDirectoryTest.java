// SPDX-License-Identifier: Apache-2.0
package dev.cairn.directory;

import static dev.cairn.directory.PasswordHasherTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.rocks.RocksSlotStore;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory of a node that serves a replicated store: the store's accounts first, then the
 * node's own SQLite directory. Where both know a user or an address, the store wins; the lookups'
 * rules (address, +detail, user name in a local domain, one hash whatever the outcome) are the
 * SQLite directory's; a replica's slot answers as a master's does.
 */
class StoreDirectoryTest {
    @TempDir Path dir;
    SqliteDirectory local;
    SlotStore slot;
    StoreDirectory directory;

    @BeforeEach
    void open() {
        local = SqliteDirectory.open(dir.resolve("directory.db"), Optional.of("example.org"), FAST);
        slot = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("slot")).withSync(false));
        directory = new StoreDirectory(local, slot);
    }

    @AfterEach
    void close() {
        slot.close();
        local.close();
    }

    private String hash(String password) { return FAST.hash(password.toCharArray()); }

    @Test void theStoreWinsWhereBothKnowAUserAndItsAddresses() {
        local.addUser(new NewUser("alice", "local password".toCharArray(), new QuotaLimits(10, 10), Optional.empty(),
                Optional.of("alice@example.org")));
        directory.addUser("alice", hash("store password"), new QuotaLimits(1 << 20, QuotaLimits.NONE), Optional.empty(),
                Optional.of("al@example.org"));
        assertThat(directory.login("alice", "store password".toCharArray()).succeeded()).isTrue();
        assertThat(directory.login("alice", "local password".toCharArray()).succeeded()).isFalse();
        assertThat(directory.login("al@example.org", "store password".toCharArray()).user()).contains("alice");
        assertThat(directory.user("alice").orElseThrow().primaryAddress()).contains("al@example.org");
        assertThat(directory.quota("alice")).isEqualTo(new QuotaLimits(1 << 20, QuotaLimits.NONE));
        assertThat(directory.resolve("al+news@example.org", LocalDomains.NONE))
                .isEqualTo(new Resolution.Found(new Recipient("alice", Optional.of("news"), false)));
        assertThat(directory.users()).extracting(User::name).containsExactly("alice");
    }

    @Test void aUserOnlyInTheNodesOwnDirectoryStillLogsInAndReceivesMail() {
        local.addUser(NewUser.of("bob", "bob's password".toCharArray()));
        assertThat(directory.login("bob", "bob's password".toCharArray()).succeeded()).isTrue();
        assertThat(directory.resolve("bob@example.org")).map(Recipient::user).contains("bob");
        assertThat(directory.resolve("nobody@example.org", LocalDomains.NONE)).isInstanceOf(Resolution.Unknown.class);
    }

    @Test void anUnknownLoginCostsOneHashLikeAWrongPassword() {
        directory.addUser("alice", hash("store password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.empty());
        long before = FAST.verifications();
        assertThat(directory.login("nobody", "x".toCharArray()).succeeded()).isFalse();
        assertThat(directory.login("alice", "wrong".toCharArray()).succeeded()).isFalse();
        assertThat(FAST.verifications() - before).isEqualTo(2);
    }

    @Test void oneAddressOneUserAcrossTheStore() {
        directory.addUser("alice", hash("a password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.of("sales@example.org"));
        assertThatThrownBy(() -> directory.addUser("bob", hash("b password"), QuotaLimits.UNLIMITED, Optional.empty(),
                Optional.of("sales@example.org")))
                .isInstanceOf(DirectoryException.class).extracting(e -> ((DirectoryException) e).reason()).isEqualTo(DirectoryException.Reason.ADDRESS_TAKEN);
        directory.addUser("bob", hash("b password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> directory.addAlias("sales@example.org", "bob"))
                .isInstanceOf(DirectoryException.class).extracting(e -> ((DirectoryException) e).reason()).isEqualTo(DirectoryException.Reason.ADDRESS_TAKEN);
        assertThatThrownBy(() -> directory.addUser("alice", null, QuotaLimits.UNLIMITED, Optional.empty(), Optional.empty()))
                .isInstanceOf(DirectoryException.class).extracting(e -> ((DirectoryException) e).reason()).isEqualTo(DirectoryException.Reason.USER_EXISTS);
        assertThat(directory.resolve("sales@example.org")).map(Recipient::user).contains("alice");
    }

    @Test void changesOfTheStoresAccountsAndTheirEnd() {
        directory.addUser("alice", hash("first password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.of("alice@example.org"));
        directory.setPasswordHash("alice", hash("second password"));
        assertThat(directory.login("alice", "first password".toCharArray()).succeeded()).isFalse();
        assertThat(directory.login("alice", "second password".toCharArray()).succeeded()).isTrue();
        directory.setPrimaryAddress("alice", "a@example.org");
        assertThat(directory.addresses(Optional.of("alice"))).containsExactly(new AddressEntry("a@example.org", "alice", true),
                new AddressEntry("alice@example.org", "alice", false));
        directory.setDisabled("alice", true);
        assertThat(directory.login("alice", "second password".toCharArray()).outcome()).isEqualTo(Login.Outcome.DISABLED);
        assertThat(directory.removeAddress("a@example.org")).isTrue();
        assertThat(directory.resolve("a@example.org", LocalDomains.NONE)).isInstanceOf(Resolution.Unknown.class);
        assertThat(directory.user("alice").orElseThrow().primaryAddress()).isEmpty();
        assertThat(directory.deleteUser("alice")).isTrue();
        assertThat(directory.user("alice")).isEmpty();
        assertThat(slot.hasUser("alice")).as("the mail stays").isTrue();
        assertThatThrownBy(() -> directory.setPasswordHash("alice", "not a hash"))
                .isInstanceOf(DirectoryException.class);
    }

    @Test void theNodesOwnAccountsOfUsersWithMailAreCopiedIntoTheStoreWithTheirPasswords() {
        local.addUser(new NewUser("carol", "carol's password".toCharArray(), new QuotaLimits(5, 6), Optional.of("team"),
                Optional.of("carol@example.org")));
        local.addAlias("c@example.org", "carol");
        local.addUser(NewUser.of("dave", "dave's password".toCharArray())); // no mail in the slot: stays in the file
        slot.openOrCreateUser("carol"); // carol got mail here before accounts followed the store
        directory.addUser("alice", hash("a password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.empty());
        assertThat(directory.copyFrom(local)).isEqualTo(1);
        assertThat(directory.storeUser("dave")).isEmpty();
        assertThat(directory.copyFrom(local)).as("once").isZero();
        local.deleteUser("carol");
        assertThat(directory.login("c@example.org", "carol's password".toCharArray()).user()).contains("carol");
        assertThat(directory.user("carol").orElseThrow().quota()).isEqualTo(new QuotaLimits(5, 6));
        assertThat(directory.user("carol").orElseThrow().group()).contains("team");
    }

    @Test void aReplicasSlotAnswersLoginsAndRecipientsButTakesNoChange() {
        directory.addUser("alice", hash("a password"), QuotaLimits.UNLIMITED, Optional.empty(), Optional.of("alice@example.org"));
        slot.replication().fence("a replica of s1");
        assertThat(directory.login("alice", "a password".toCharArray()).succeeded()).isTrue();
        assertThat(directory.resolve("alice@example.org")).map(Recipient::user).contains("alice");
        assertThatThrownBy(() -> directory.setQuota("alice", new QuotaLimits(1, 1)))
                .isInstanceOf(DirectoryException.class).extracting(e -> ((DirectoryException) e).reason()).isEqualTo(DirectoryException.Reason.UNAVAILABLE);
    }
}
