// SPDX-License-Identifier: Apache-2.0
package dev.cairn.store.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.store.Account;
import dev.cairn.store.SlotConfig;
import dev.cairn.store.SlotStore;
import dev.cairn.store.StoreException;
import dev.cairn.store.rocks.RocksSlotStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's slots behind one SlotStore: each user's operations reach the slot that holds it. */
class SlotRouterTest {
    @TempDir Path dir;
    private SlotStore a, b;
    /** Calls of hasUser on either slot (the scan a lookup would cost). */
    private final AtomicInteger scans = new AtomicInteger();

    @BeforeEach void open() {
        a = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("a")).withSync(false));
        b = RocksSlotStore.open(SlotConfig.defaults(dir.resolve("b")).withSync(false));
    }

    @AfterEach void close() {
        a.close();
        b.close();
    }

    /** The slot, counting the hasUser calls made on it. */
    private SlotStore counted(SlotStore slot) {
        return (SlotStore) Proxy.newProxyInstance(SlotStore.class.getClassLoader(), new Class<?>[] {SlotStore.class}, (p, m, args) -> {
            if (m.getName().equals("hasUser")) scans.incrementAndGet();
            try {
                return m.invoke(slot, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private SlotRouter router(Placement placement) {
        Map<String, SlotStore> slots = new LinkedHashMap<>();
        slots.put("a", counted(a));
        slots.put("b", counted(b));
        return new SlotRouter(slots, Map.of("a", "A", "b", "B"), placement);
    }

    private static Account account(String address) {
        return new Account(null, Optional.of(address), List.of(), 0, 0, Optional.empty(), Instant.EPOCH, false);
    }

    @Test void aUsersOperationsReachTheSlotThatHoldsIt() {
        b.openOrCreateUser("bob");
        SlotRouter router = router(Placement.NODE);
        assertThat(router.hasUser("bob")).isTrue();
        router.openOrCreateUser("bob").createMailbox("Projects", java.util.Set.of());
        assertThat(b.user("bob").mailboxes().stream().map(m -> m.name()).toList()).contains("Projects");
        assertThat(a.hasUser("bob")).as("not created again in the node's first slot").isFalse();
        router.setAccount("bob", account("bob@example.org"));
        assertThat(b.account("bob")).isPresent();
        assertThat(router.slotOf("bob")).isSameAs(router.slots().get("b"));
        router.deleteUser("bob");
        assertThat(b.hasUser("bob")).isFalse();
        assertThatThrownBy(() -> router.user("bob")).isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.NO_SUCH_USER);
    }

    @Test void aNewUserGoesWherePlacementSaysAndWithoutOneToTheFirstSlotThatTakesWrites() {
        SlotRouter router = router(user -> user.equals("carol") ? Optional.of("B") : Optional.empty());
        router.openOrCreateUser("carol");
        router.openOrCreateUser("dave");
        assertThat(b.hasUser("carol")).isTrue();
        assertThat(a.hasUser("carol")).isFalse();
        assertThat(a.hasUser("dave")).as("the node's rule: its first writable slot").isTrue();

        a.replication().fence("store A is a replica here; its master is n2/a");
        router.setAccount("erin", account("erin@example.org"));
        assertThat(b.account("erin")).as("the first slot is fenced: the next one that takes writes").isPresent();

        SlotRouter elsewhere = router(user -> Optional.of("C"));
        assertThatThrownBy(() -> elsewhere.openOrCreateUser("frank")).isInstanceOf(StoreException.class)
                .hasMessage("user frank belongs in store C, which has no slot on this node");
    }

    @Test void onAClusterNodeANewUserGoesToTheSlotTheMapGivesItsStore() {
        SlotRouter router = router(user -> Optional.of("D"));
        assertThatThrownBy(() -> router.openOrCreateUser("carol")).isInstanceOf(StoreException.class)
                .hasMessage("user carol belongs in store D, which has no slot on this node");
        router.followStores(store -> store.equals("D") ? "b" : null);
        router.openOrCreateUser("carol");
        assertThat(b.hasUser("carol")).isTrue();
        assertThat(a.hasUser("carol")).isFalse();
    }

    @Test void aUserPlacedInASlotGoesThereAndOneAnotherSlotHoldsIsRefused() {
        b.openOrCreateUser("bob");
        SlotRouter router = router(Placement.NODE);
        router.place("dave", router.slots().get("b"));
        router.setAccount("dave", account("dave@example.org"));
        assertThat(b.account("dave")).isPresent();
        assertThat(a.hasUser("dave")).as("not the node's first slot").isFalse();
        assertThatThrownBy(() -> router.place("bob", router.slots().get("a"))).isInstanceOf(StoreException.class)
                .hasMessage("user bob is in another slot here");
    }

    @Test void anAddressLookupAndTheUserListSpanEverySlot() {
        a.setAccount("alice", account("alice@example.org"));
        b.setAccount("bob", account("bob@example.org"));
        SlotRouter router = router(Placement.NODE);
        assertThat(router.accountOf("bob@example.org")).contains("bob");
        assertThat(router.accountOf("alice@example.org")).contains("alice");
        assertThat(router.accountOf("nobody@example.org")).isEmpty();
        assertThat(router.users()).containsExactly("alice", "bob");
        assertThat(router.account("bob")).isPresent();
        assertThatThrownBy(() -> router.setAccount("carol", account("bob@example.org"))).isInstanceOf(StoreException.class)
                .hasMessage("address bob@example.org belongs to bob");
        assertThat(router.hasUser("carol")).isFalse();
    }

    @Test void aSessionsOperationsCostAMapLookupNotAScanOfTheSlots() {
        b.openOrCreateUser("bob");
        SlotRouter router = router(Placement.NODE);
        router.user("bob");
        int first = scans.get();
        assertThat(first).as("the first lookup asks the slots").isEqualTo(2);
        for (int i = 0; i < 1000; i++) {
            router.user("bob");
            router.slotOf("bob");
            router.account("bob");
        }
        assertThat(scans.get()).as("later ones ask none").isEqualTo(first);
    }

    @Test void aFenceOfOneSlotConcernsOnlyThatSlotsUsers() {
        a.openOrCreateUser("alice");
        b.openOrCreateUser("bob");
        SlotRouter router = router(Placement.NODE);
        List<String> heard = new ArrayList<>();
        Runnable remove = router.onFenced(heard::add);
        b.replication().fence("store B moved to another master (epoch 2)");
        assertThat(heard).containsExactly("store B moved to another master (epoch 2)");
        assertThat(router.slotOf("bob").replication().fenceReason()).isNotNull();
        assertThat(router.slotOf("alice").replication().fenceReason()).isNull();
        remove.run();
        a.replication().fence("store A moved");
        assertThat(heard).hasSize(1);
        assertThatThrownBy(router::replication).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test void aUserPlacedOnAnotherStoreIsRoutedThereOnceTheRouterIsToldAndItsOldCopyIsNeverWrittenAgain() {
        a.openOrCreateUser("alice").createMailbox("Old", java.util.Set.of());
        java.util.concurrent.atomic.AtomicReference<String> placed = new java.util.concurrent.atomic.AtomicReference<>("A");
        SlotRouter router = router(user -> Optional.of(placed.get()));
        assertThat(router.slotOf("alice")).isSameAs(router.slots().get("a"));
        // The move's copy arrives in b (the target store's slot) while the placement still names A.
        b.openOrCreateUser("alice").createMailbox("Copied", java.util.Set.of());
        router.forget("alice");
        assertThat(router.slotOf("alice")).as("placed on A: the copy in b is not routed to").isSameAs(router.slots().get("a"));
        List<String> heard = new ArrayList<>();
        router.onFenced(heard::add);
        placed.set("B");
        router.moved("alice", "user alice moved to store B");
        assertThat(heard).containsExactly("user alice moved to store B");
        assertThat(router.slotOf("alice")).isSameAs(router.slots().get("b"));
        router.openOrCreateUser("alice").createMailbox("New", java.util.Set.of());
        assertThat(b.user("alice").mailboxes().stream().map(m -> m.name()).toList()).contains("Copied", "New");
        assertThat(a.user("alice").mailboxes().stream().map(m -> m.name()).toList()).doesNotContain("New");

        // Storeslots from the cluster's map win over the config's stores (a cluster node has none).
        SlotRouter mapped = router(user -> Optional.of("s9"));
        mapped.followStores(store -> store.equals("s9") ? "a" : null);
        assertThat(mapped.slotOf("alice")).isSameAs(mapped.slots().get("a"));
        // A node without a slot of the user's store refuses (the user lives elsewhere).
        SlotRouter elsewhere = router(user -> Optional.of("C"));
        assertThatThrownBy(() -> elsewhere.slotOf("alice")).isInstanceOf(StoreException.class).hasMessageContaining("has no slot on this node");
    }

    @Test void aDirectoryThatCannotAnswerIsATemporaryFailureNotAnotherSlot() {
        a.openOrCreateUser("alice");
        SlotRouter router = router(user -> {
            throw new IllegalStateException("connection refused");
        });
        assertThatThrownBy(() -> router.user("alice")).isInstanceOf(StoreException.class)
                .extracting(e -> ((StoreException) e).reason()).isEqualTo(StoreException.Reason.UNAVAILABLE);
    }
}
